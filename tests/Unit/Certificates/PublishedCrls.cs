using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

/// <summary>What each distribution point serves, by URL, changed as a test goes; a URL serving nothing refuses the connection.</summary>
internal sealed class PublishedCrls : System.Collections.Concurrent.ConcurrentDictionary<string, byte[]>, ICrlSource
{
    public byte[] Fetch(Uri location, TimeSpan timeout) =>
        TryGetValue(location.AbsoluteUri, out byte[]? crl) ? crl : throw new HttpRequestException("connection refused (test)");
}
