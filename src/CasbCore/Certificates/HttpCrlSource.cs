using System.Net;

namespace CasbCore.Certificates;

/// <summary>Fetches CRLs over http/https with one shared <see cref="HttpClient"/>, a timeout and a size cap.</summary>
public sealed class HttpCrlSource : ICrlSource
{
    /// <summary>A CRL larger than this is refused: a distribution point must not be able to exhaust memory.</summary>
    public const int MaxCrlBytes = 32 * 1024 * 1024;

    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 3,
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan, // per request, below
        MaxResponseContentBufferSize = MaxCrlBytes,
    };

    public byte[] Fetch(Uri location, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.Scheme != Uri.UriSchemeHttp && location.Scheme != Uri.UriSchemeHttps)
        {
            throw new NotSupportedException($"Only http and https distribution points are supported, not '{location.Scheme}'.");
        }

        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, location);
            using HttpResponseMessage response = Client.Send(request, HttpCompletionOption.ResponseHeadersRead, cancellation.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{location} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            if (response.Content.Headers.ContentLength > MaxCrlBytes)
            {
                throw new HttpRequestException($"The CRL at {location} is larger than {MaxCrlBytes} bytes.");
            }

            using Stream body = response.Content.ReadAsStream(cancellation.Token);
            using var buffer = new MemoryStream();
            byte[] chunk = new byte[81920];
            int read;
            while ((read = body.ReadAsync(chunk, cancellation.Token).AsTask().GetAwaiter().GetResult()) > 0)
            {
                if (buffer.Length + read > MaxCrlBytes)
                {
                    throw new HttpRequestException($"The CRL at {location} is larger than {MaxCrlBytes} bytes.");
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
        catch (OperationCanceledException ex) when (cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"Fetching the CRL from {location} did not finish within {timeout.TotalSeconds:0.#} s.", ex);
        }
    }
}
