using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

/// <summary>A CRL source for tests that must never reach the network: a fetch is the test's failure.</summary>
internal sealed class NoNetworkCrlSource : ICrlSource
{
    public byte[] Fetch(Uri location, TimeSpan timeout) => throw new InvalidOperationException("no network in this test");
}
