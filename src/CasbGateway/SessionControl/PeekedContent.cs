namespace CasbGateway.SessionControl;

/// <summary>
/// The upstream's content after a peek: the same headers (Content-Length, Content-Encoding as sent), the raw bytes read
/// replayed in front of the rest. Disposing it disposes the upstream's content.
/// </summary>
internal sealed class PeekedContent : HttpContent
{
    private readonly HttpContent _original;
    private readonly PrefixedStream _body;

    public PeekedContent(HttpContent original, ReadOnlyMemory<byte> prefix, Stream rest, Exception? error)
    {
        _original = original;
        _body = new PrefixedStream(prefix, rest, error);
        foreach (KeyValuePair<string, System.Net.Http.Headers.HeaderStringValues> header in original.Headers.NonValidated)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => _body.CopyToAsync(stream);

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken) =>
        _body.CopyToAsync(stream, cancellationToken);

    protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(_body);

    protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) => Task.FromResult<Stream>(_body);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false; // the upstream's Content-Length header, when it sent one, is copied as it is
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
            _original.Dispose();
        }

        base.Dispose(disposing);
    }
}
