using System.Text;

namespace CasbGateway.Hosting;

/// <summary>
/// The encoding Kestrel writes response header values in: Latin-1, one byte per character, so a value the upstream
/// client read from an app (one character per byte) goes out as the bytes the app sent. A character above U+00FF (none
/// of the gateway's own headers has one) throws instead of becoming a silent '?', as Kestrel's ASCII check did.
/// </summary>
internal static class ResponseHeaderBytes
{
    public static Encoding Encoding { get; } = Encoding.GetEncoding("iso-8859-1", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
}
