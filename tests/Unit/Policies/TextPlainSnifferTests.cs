using CasbCore.Policies;

namespace CasbModule.Tests.Policies;

/// <summary>
/// The engine's text/plain sniff against a table transcribed from Chromium's net/base/mime_sniffer.cc: which bytes are
/// binary (LooksLikeBinary's kBinaryBits), the byte-order marks that keep a body text (kByteOrderMark), the 1024-byte
/// window (kMaxBytesToSniff) and the magic numbers a binary body is then refined by (kMagicNumbers, first 42 bytes).
/// </summary>
public sealed class TextPlainSnifferTests
{
    /// <summary>
    /// Transcribed: every byte below 0x20 except TAB (09), LF (0A), FF (0C), CR (0D) and ESC (1B) is binary; no byte from
    /// 0x20 up is (UTF-8 and Latin-1 text stay text).
    /// </summary>
    private static readonly HashSet<byte> ChromiumBinaryBytes =
    [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0B, 0x0E, 0x0F,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1C, 0x1D, 0x1E, 0x1F,
    ];

    [Fact]
    public void Every_byte_value_first_or_embedded_is_binary_exactly_as_Chromium_says()
    {
        for (int value = 0; value < 256; value++)
        {
            byte b = (byte)value;
            bool binary = ChromiumBinaryBytes.Contains(b);
            byte[][] bodies = [[b, (byte)'a', (byte)'b'], [(byte)'a', b, (byte)'b'], [.. "hello "u8, b], [.. new byte[1023].Select(_ => (byte)'x'), b]];
            foreach (byte[] body in bodies)
            {
                Assert.True(binary == TextPlainSniffer.LooksLikeBinary(body), $"byte 0x{b:X2} in {Convert.ToHexString(body[..Math.Min(8, body.Length)])}");
                TextPlainSniffer.Result result = TextPlainSniffer.Sniff(body, "/files/tool");
                Assert.True(binary == result.Saved, $"byte 0x{b:X2}: {result}"); // no mark, no magic here: binary is saved as octet-stream
            }
        }
    }

    [Theory]
    [InlineData(new byte[] { 0xFE, 0xFF, 0x00, 0x68, 0x00, 0x69 })] // UTF-16BE "hi"
    [InlineData(new byte[] { 0xFF, 0xFE, 0x68, 0x00, 0x69, 0x00 })] // UTF-16LE "hi"
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x00, 0x01 })] // a UTF-8 mark, then binary bytes: still text
    [InlineData(new byte[] { 0xFE, 0xFF })]
    public void A_body_that_starts_with_a_byte_order_mark_is_text_whatever_follows(byte[] body)
    {
        Assert.Equal(new TextPlainSniffer.Result("text/plain", false, false), TextPlainSniffer.Sniff(body, "/a"));
    }

    [Theory]
    [InlineData(new byte[] { 0xEF, 0xBB, 0x00 })] // two bytes of the UTF-8 mark are no mark
    [InlineData(new byte[] { 0xFE, 0x00 })]
    [InlineData(new byte[] { 0x41, 0xFF, 0xFE, 0x00 })] // a mark not at the start
    public void A_partial_or_misplaced_mark_does_not_make_binary_text(byte[] body)
    {
        Assert.True(TextPlainSniffer.Sniff(body, "/a").Saved);
    }

    [Theory]
    [InlineData(1023, true)]
    [InlineData(1024, false)] // past kMaxBytesToSniff: the browser never sees it
    public void Only_the_first_1024_bytes_are_looked_at(int position, bool saved)
    {
        byte[] body = Enumerable.Repeat((byte)'x', 4096).ToArray();
        body[position] = 0;

        Assert.Equal(saved, TextPlainSniffer.Sniff(body, "/log").Saved);
    }

    // A binary body's type after Chromium's later steps: its magic numbers (first match in kMagicNumbers' order), a .crx
    // path, an Office extension; and whether Chromium shows it (text, images, players, the PDF viewer) or saves it.
    [Theory]
    [InlineData("MZ\u0090\0\u0003", "/get", "application/octet-stream", true, true)]
    [InlineData("\u0001\u0002\u0003", "/get", "application/octet-stream", true, false)]
    [InlineData("PK\u0003\u0004\u0014\0", "/files/5", "application/zip", true, false)]
    [InlineData("PK\u0003\u0004\u0014\0", "/files/q3.XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", true, false)]
    [InlineData("\u00D0\u00CF\u0011\u00E0\u00A1\u00B1\u001A\u00E1\0", "/files/q3.doc", "application/msword", true, false)]
    [InlineData("\u00D0\u00CF\u0011\u00E0\u00A1\u00B1\u001A\u00E1\0", "/files/q3", "application/octet-stream", true, false)]
    [InlineData("\u001F\u008B\u0008\0", "/backup", "application/x-gzip", true, false)]
    [InlineData("Rar!\u001A\u0007\0", "/a", "application/x-rar-compressed", true, false)]
    [InlineData("Cr24\u0003\0\0\0", "/ext.crx", "application/x-chrome-extension", true, false)]
    [InlineData("Cr24\u0003\0\0\0", "/ext.CRX", "application/octet-stream", true, false)] // Chromium's .crx check is case-sensitive
    [InlineData("II*\0", "/scan", "image/tiff", true, false)]
    [InlineData("%PDF-1.7\n\u0001", "/doc", "application/pdf", false, false)]
    [InlineData("GIF89a\u0001\0", "/pic", "image/gif", false, false)]
    [InlineData("\u0089PNG\r\n\u001A\n\0", "/pic", "image/png", false, false)]
    [InlineData("RIFF\u0001\u0002\u0003\u0004WEBPVP8 ", "/pic", "image/webp", false, false)]
    [InlineData("#!/bin/sh\n\u0001", "/run", "text/plain", false, false)]
    [InlineData("From \u0001", "/mbox", "text/plain", false, false)]
    [InlineData("ID3\u0004\0", "/song", "audio/mpeg", false, false)]
    public void A_binary_body_is_refined_by_Chromiums_magic_numbers(string latin1, string path, string type, bool saved, bool executable)
    {
        byte[] body = System.Text.Encoding.Latin1.GetBytes(latin1);

        Assert.Equal(new TextPlainSniffer.Result(type, saved, executable), TextPlainSniffer.Sniff(body, path));
    }

    [Fact]
    public void A_magic_number_counts_only_in_the_first_42_bytes_and_only_for_a_binary_body()
    {
        byte[] late = [.. new byte[42], .. "PK\u0003\u0004"u8];
        Assert.Equal("application/octet-stream", TextPlainSniffer.Sniff(late, "/a").MediaType);
        Assert.Equal(new TextPlainSniffer.Result("text/plain", false, false), TextPlainSniffer.Sniff("MZ is text here"u8, "/a.exe"));
    }

    [Theory]
    [InlineData("text/plain", true)]
    [InlineData("TEXT/Plain; charset=utf-8", true)]
    [InlineData(" text/plain ;format=flowed", true)]
    [InlineData("text/plainx", false)]
    [InlineData("text/html", false)]
    [InlineData("", false)]
    public void Text_plain_is_recognised_with_any_parameters_and_case(string contentType, bool textPlain)
    {
        Assert.Equal(textPlain, TextPlainSniffer.IsTextPlain(contentType));
    }
}
