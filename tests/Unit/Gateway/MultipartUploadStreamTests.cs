using System.Text;
using CasbCore.Policies;
using CasbGateway.SessionControl;
using CsCheck;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The multipart reader of session control, property-based: generated bodies (fields, files named by filename,
/// filename*, both, an empty name or no Content-Disposition at all, odd padding, preambles and epilogues) read
/// through reads of random sizes, so every delimiter is split across reads somewhere. A part cannot pass undecided,
/// a blocked part never leaks, and what the gateway lets through, ASP.NET Core's own MultipartReader (standing in for
/// the upstream) reads as no file the gateway did not decide.
/// </summary>
public sealed class MultipartUploadStreamTests
{
    private static readonly string[] FileNames = ["notes.txt", "q3.xlsx", "setup.exe", "résumé.pdf", "a b.EXE", "noext", "€ rates.exe", "x.tar.gz"];

    private static readonly string BoundaryChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=?";

    /// <summary>0 field, 1 filename, 2 filename*, 3 both, 4 no Content-Disposition, 5 filename="".</summary>
    internal sealed record Part(int Kind, string Name, byte[] Content, bool ExtraHeader);

    internal sealed record Body(string Boundary, Part[] Parts, string Preamble, string Epilogue, string Padding, int[] Chunks)
    {
        public byte[] Delimiter => Encoding.ASCII.GetBytes("--" + Boundary);

        public string NameOf(int index) => $"p{index}-{Parts[index].Name}";

        public bool IsFile(int index) => Parts[index].Kind != 0;

        /// <summary>Where each part's content starts in <see cref="Bytes"/>.</summary>
        public int[] ContentStarts { get; private set; } = [];

        /// <summary>How much of <see cref="Bytes"/> may pass before each part is decided: up to its delimiter line (its CRLF for a later part).</summary>
        public int[] DelimiterStarts { get; private set; } = [];

        public byte[] Bytes => _bytes ??= Build();

        private byte[]? _bytes;

        private byte[] Build()
        {
            var body = new MemoryStream();
            void Write(string text) => body.Write(Encoding.UTF8.GetBytes(text));
            if (Preamble.Length > 0)
            {
                Write(Preamble + "\r\n");
            }

            var starts = new int[Parts.Length];
            var delimiters = new int[Parts.Length];
            for (int i = 0; i < Parts.Length; i++)
            {
                Part part = Parts[i];
                delimiters[i] = (int)body.Length - (i > 0 ? 2 : 0);
                Write($"--{Boundary}{Padding}\r\n");
                string name = NameOf(i);
                Write(part.Kind switch
                {
                    0 => $"Content-Disposition: form-data; name=\"f{i}\"\r\n",
                    1 => $"Content-Disposition: form-data; name=\"f{i}\"; filename=\"{name}\"\r\n",
                    2 => $"content-disposition: form-data; name=\"f{i}\"; filename*=UTF-8''{Uri.EscapeDataString(name)}\r\n",
                    3 => $"Content-Disposition: form-data; name=\"f{i}\"; filename=\"{name}\"; filename*=UTF-8''{Uri.EscapeDataString(name)}\r\n",
                    4 => "",
                    _ => $"Content-Disposition: form-data; name=\"f{i}\"; filename=\"\"\r\n",
                });
                if (part.ExtraHeader || part.Kind == 4)
                {
                    Write("Content-Type: application/octet-stream\r\n");
                }

                Write("\r\n");
                starts[i] = (int)body.Length;
                body.Write(part.Content);
                Write("\r\n");
            }

            Write($"--{Boundary}--{Padding}\r\n{Epilogue}");
            ContentStarts = starts;
            DelimiterStarts = delimiters;
            return body.ToArray();
        }
    }

    private static readonly Gen<byte[]> Content = Gen.Frequency(
        (3, Gen.Byte.Array[0, 3000]),
        (2, Gen.OneOf(Gen.Const("\r\n--"), Gen.Const("--"), Gen.Const("\r\n"), Gen.Const("\n"), Gen.Const("\r"), Gen.Const("- -"), Gen.String[0, 20])
            .Array[0, 40].Select(pieces => Encoding.UTF8.GetBytes(string.Concat(pieces)))));

    private static readonly Gen<Part> Parts = Gen.Select(Gen.Int[0, 5], Gen.OneOf(FileNames), Content, Gen.Bool, (k, n, c, h) => new Part(k, n, c, h));

    internal static readonly Gen<Body> Bodies = Gen.Select(
            Gen.Char[BoundaryChars].Array[1, 70].Select(c => new string(c)),
            Parts.Array[0, 6],
            Gen.OneOf(Gen.Const(""), Gen.Const("This is a preamble."), Gen.Const("\r\n")),
            Gen.OneOf(Gen.Const(""), Gen.Const("\r\n"), Gen.Const("trailing words\r\n")),
            Gen.OneOf(Gen.Const(""), Gen.Const(" "), Gen.Const("\t  ")),
            Gen.Int[1, 9000].Array[1, 20],
            (b, p, pre, epi, pad, chunks) => new Body(b, p, pre, epi, pad, chunks))
        .Where(b => b.Parts.All(p => p.Content.AsSpan().IndexOf(b.Delimiter) < 0)); // a client picks a boundary its content lacks

    [Fact]
    public void An_allowed_body_passes_byte_for_byte_and_every_file_part_is_decided_before_a_byte_of_it_passes()
    {
        Bodies.Sample(body =>
        {
            byte[] input = body.Bytes;
            var firstDecided = new Dictionary<int, long>();
            long passed = 0;
            var stream = new MultipartUploadStream(new ChunkedStream(input, body.Chunks), body.Boundary, file =>
            {
                if (file.FileName is { } name && name.StartsWith('p') && name.IndexOf('-') > 1 && int.TryParse(name[1..name.IndexOf('-')], out int index))
                {
                    firstDecided.TryAdd(index, passed);
                }

                return Allow(file);
            });

            byte[] output = ReadAll(stream, body.Chunks, ref passed);

            Assert.Equal(input, output);
            int expectedFiles = Enumerable.Range(0, body.Parts.Length).Count(body.IsFile);
            Assert.Equal(expectedFiles, stream.Files);
            for (int i = 0; i < body.Parts.Length; i++)
            {
                if (body.Parts[i].Kind is 1 or 2 or 3)
                {
                    Assert.True(firstDecided.TryGetValue(i, out long at), $"part {i} ({body.NameOf(i)}) was never decided");
                    Assert.True(at <= body.ContentStarts[i], $"part {i} was decided after {at - body.ContentStarts[i]} of its bytes had passed");
                }
            }
        }, iter: 1500);
    }

    [Fact]
    public void A_blocked_part_never_passes_not_even_its_headers_and_the_read_fails()
    {
        Gen<(Body Body, int Blocked)> cases = Bodies
            .Where(b => b.Parts.Any(p => p.Kind is 1 or 2 or 3))
            .SelectMany(b =>
            {
                int[] files = Enumerable.Range(0, b.Parts.Length).Where(i => b.Parts[i].Kind is 1 or 2 or 3).ToArray();
                return Gen.OneOf(files.Select(Gen.Const).ToArray()).Select(i => (b, i));
            });
        cases.Sample(c =>
        {
            (Body body, int blocked) = c;
            string blockedName = body.NameOf(blocked);
            var stream = new MultipartUploadStream(new ChunkedStream(body.Bytes, body.Chunks), body.Boundary,
                file => file.FileName == blockedName ? Block(file) : Allow(file));
            var output = new MemoryStream();
            byte[] buffer = new byte[4096];

            Assert.Throws<UploadRefusedException>(() =>
            {
                int read;
                while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    output.Write(buffer, 0, read);
                }
            });

            byte[] passed = output.ToArray();
            Assert.True(stream.IsBlocked);
            Assert.Equal(blockedName, stream.Decisive!.FileName);
            Assert.True(body.Bytes.AsSpan().StartsWith(passed), "what passed is the start of the body");
            // Nothing of the blocked part: not its delimiter line, headers or content.
            Assert.True(passed.Length <= body.DelimiterStarts[blocked], $"{passed.Length - body.DelimiterStarts[blocked]} bytes of the blocked part passed");
            Assert.Equal(-1, passed.AsSpan().IndexOf(Encoding.UTF8.GetBytes(blockedName)));
        }, iter: 1000);
    }

    /// <summary>Byte mutations that make parsers disagree: LF-only and mid-line delimiters, smuggled parts, stray CRs.</summary>
    private static string[] Mutations(string b) =>
    [
        $"\n--{b}\nContent-Disposition: form-data; name=\"x\"; filename=\"evil.exe\"\n\nEVIL\n",
        $"\r\n--{b}\r\nContent-Disposition: form-data; name=\"x\"; filename=\"evil.exe\"\r\n\r\nEVIL",
        $"\r\n--{b}\r\nContent-Disposition: form-data; name=\"x\"; filename*=UTF-8''evil.exe; filename=\"ok.txt\"\r\n\r\nEVIL",
        $"\r\n--{b}--\r\n", $"\r\n--{b} \r\n", $"--{b}", $"--{b}\r\n", "\r\n", "\n", "\r", "\r\n\r\n", " ",
        "Content-Disposition: form-data; name=\"y\"; filename=\"evil.exe\"\r\n",
        "Content-Disposition: form-data; name=\"y\"; filename*0=\"evil\"; filename*1=\".exe\"\r\n",
    ];

    [Fact]
    public void Whatever_the_gateway_lets_through_the_upstreams_parser_reads_as_no_file_the_gateway_did_not_decide()
    {
        Gen<(Body Body, byte[] Mutated)> cases = Bodies.SelectMany(body =>
        {
            Gen<byte[]> mutated = Gen.Select(Gen.Int[0, body.Bytes.Length], Gen.OneOf(Mutations(body.Boundary).Select(Gen.Const).ToArray()), Gen.Int[0, 3])
                .Array[1, 3]
                .Select(edits =>
                {
                    byte[] bytes = body.Bytes;
                    foreach ((int at, string snippet, int delete) in edits)
                    {
                        int position = Math.Min(at, bytes.Length);
                        int removed = Math.Min(delete, bytes.Length - position);
                        bytes = [.. bytes.AsSpan(0, position), .. Encoding.UTF8.GetBytes(snippet), .. bytes.AsSpan(position + removed)];
                    }

                    return bytes;
                });
            return mutated.Select(m => (body, m));
        });
        int passedWhole = 0, refused = 0;
        cases.Sample(c =>
        {
            (Body body, byte[] mutated) = c;
            var decided = new HashSet<string>(StringComparer.Ordinal);
            var stream = new MultipartUploadStream(new ChunkedStream(mutated, body.Chunks), body.Boundary, file =>
            {
                lock (decided)
                {
                    decided.Add(file.FileName ?? "");
                }

                return file.Extension == "exe" ? Block(file) : Allow(file);
            });
            byte[] output;
            try
            {
                long ignored = 0;
                output = ReadAll(stream, body.Chunks, ref ignored);
            }
            catch (UploadRefusedException)
            {
                Interlocked.Increment(ref refused);
                return;
            }

            Interlocked.Increment(ref passedWhole);
            Assert.Equal(mutated, output);
            foreach (string? name in UpstreamFileNames(output, body.Boundary))
            {
                if (name is null)
                {
                    continue;
                }

                Assert.NotEqual("exe", FileTransfer.ExtensionOf(name));
                Assert.Contains(new FileTransfer(FileTransferDirection.Upload, name, null).FileName ?? "", decided); // the engine's canonical (trimmed) name
            }

            Assert.False(LenientFileNames(output, body.Boundary).Any(name => FileTransfer.ExtensionOf(name) == "exe"),
                $"a lenient upstream finds an .exe the gateway let through: {Encoding.Latin1.GetString(output).Replace("\r", "\\r").Replace("\n", "\\n\n")}");
        }, iter: 3000);

        Assert.True(passedWhole > 0 && refused > 0, $"passed {passedWhole}, refused {refused}: the mutations should do both");
    }

    [Theory]
    [InlineData("filename*=UTF-8''%E2%82%AC%20rates.exe", "€ rates.exe")]
    [InlineData("filename*=utf-8'en'r%C3%A9sum%C3%A9.pdf", "résumé.pdf")]
    [InlineData("filename=\"résumé.pdf\"", "résumé.pdf")]
    [InlineData("filename=\"\"", null)]
    [InlineData("filename=plain.txt", "plain.txt")]
    public void A_file_parts_name_is_read_as_browsers_send_it(string parameters, string? expected)
    {
        byte[] body = Encoding.UTF8.GetBytes($"--b\r\nContent-Disposition: form-data; name=\"f\"; {parameters}\r\n\r\ndata\r\n--b--\r\n");
        var names = new List<string?>();
        var stream = new MultipartUploadStream(new MemoryStream(body), "b", file =>
        {
            names.Add(file.FileName);
            return Allow(file);
        });

        long ignored = 0;
        Assert.Equal(body, ReadAll(stream, [7], ref ignored));
        Assert.Equal(1, stream.Files);
        Assert.Equal(expected, names[0]);
    }

    [Theory]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"f\"\r\nX-Odd\r\n\r\ndata\r\n--b--\r\n", "no name")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"f\"\nX: y\r\n\r\ndata\r\n--b--\r\n", "bare LF")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"f\"\rX: y\r\n\r\ndata\r\n--b--\r\n", "bare CR")]
    [InlineData("--b\r\nBad Name: y\r\n\r\ndata\r\n--b--\r\n", "header name")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"f\"; name=\"g\"\r\n\r\ndata\r\n--b--\r\n", "twice")]
    [InlineData("--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\n--c--\r\n--b--\r\n", "another multipart")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata\r\n--b", "ends inside")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata", "without its closing delimiter")]
    [InlineData("no delimiter at all", "no boundary delimiter")]
    [InlineData("--bx\r\n\r\ndata\r\n--b--\r\n", "followed by something other")]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata--b\r\n--b--\r\n", "not at the start of a line")]
    public void Odd_headers_and_delimiters_are_refused_naming_the_problem(string text, string problem)
    {
        var stream = new MultipartUploadStream(new MemoryStream(Encoding.UTF8.GetBytes(text)), "b", Allow);

        long ignored = 0;
        Assert.Throws<UploadRefusedException>(() => ReadAll(stream, [3], ref ignored));
        Assert.Contains(problem, stream.Problem);
    }

    [Fact]
    public void A_file_blocked_by_size_is_refused_when_it_reaches_the_size_and_one_below_passes()
    {
        static FileDecision BySize(FileTransfer file) => file.SizeBytes is not long size || size >= 3 * 1024 * 1024 ? Block(file) : Allow(file);
        byte[] Body(int size) => [.. "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\n\r\n"u8, .. new byte[size], .. "\r\n--b--\r\n"u8];

        var under = new MultipartUploadStream(new MemoryStream(Body(3 * 1024 * 1024 - 1)), "b", BySize);
        var over = new MultipartUploadStream(new MemoryStream(Body(5 * 1024 * 1024)), "b", BySize);
        long passedUnder = 0, passedOver = 0;

        Assert.Equal(Body(3 * 1024 * 1024 - 1), ReadAll(under, [65536], ref passedUnder));
        Assert.Throws<UploadRefusedException>(() => ReadAll(over, [65536], ref passedOver));
        Assert.True(passedOver < 3 * 1024 * 1024, $"{passedOver} bytes passed");
        Assert.Equal(FileAction.Allow, under.Decisive!.Action);
        Assert.Equal(FileAction.Block, over.Decisive!.Action);
    }

    // Generated session policies (Block or Audit, ranked, on the file or not, with and without a size filter) decide one
    // file of a size around each MiB, read in random chunks: a blocked file is answered with the policy and message the
    // decider gives at its size (as Test-CasbAccess -FileSizeMB answers), recorded at a size where that is the answer; a
    // file blocked at size 0 passes nothing, not even its headers. The gateway answered a file blocked at every size with
    // its policy at size 0, though a size filter of a higher-ranked policy blocked the file at its real size.
    [Fact]
    public void A_blocked_file_is_answered_with_the_policy_that_blocks_it_at_its_size()
    {
        Gen<(bool Block, int? MinMB, bool OnFile)[]> policies = Gen.Select(Gen.Bool, Gen.OneOf(Gen.Const((int?)null), Gen.Int[0, 4].Select(i => (int?)i)), Gen.Int[0, 3].Select(i => i > 0), (b, m, f) => (b, m, f)).Array[1, 5];
        Gen<int> sizes = Gen.OneOf(Gen.Int[0, 4].SelectMany(mb => Gen.Int[-70_000, 70_000].Select(d => Math.Max(0, mb * 1024 * 1024 + d))), Gen.Int[0, 5000]);
        Gen.Select(policies, sizes, Gen.Int[1, 200_000].Array[1, 4]).Sample(c =>
        {
            ((bool Block, int? MinMB, bool OnFile)[] rules, int size, int[] reads) = c;
            FileDecision Decide(FileTransfer file)
            {
                // The engine's ranking in small: Block over Audit, then the policy listed first; a size filter matches an unknown size.
                int winner = -1;
                for (int i = 0; i < rules.Length; i++)
                {
                    bool matches = rules[i].OnFile && (rules[i].MinMB is not int min || file.SizeBytes is not long bytes || bytes >= min * 1024L * 1024L);
                    if (matches && (winner < 0 || (rules[i].Block && !rules[winner].Block)))
                    {
                        winner = i;
                    }
                }

                return winner < 0 ? Allow(file) : new FileDecision
                {
                    Action = rules[winner].Block ? FileAction.Block : FileAction.Audit, Direction = file.Direction, FileName = file.FileName, SizeBytes = file.SizeBytes,
                    Policy = $"Policy {winner}", BlockMessage = rules[winner].Block ? $"Blocked by policy {winner}." : null,
                };
            }

            byte[] body = [.. "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"setup.exe\"\r\n\r\n"u8, .. Filled(size, (byte)'Z'), .. "\r\n--b--\r\n"u8];
            var stream = new MultipartUploadStream(new ChunkedStream(body, reads), "b", Decide);
            long passed = 0;
            byte[]? output = null;
            try
            {
                output = ReadAll(stream, reads, ref passed);
            }
            catch (UploadRefusedException)
            {
            }

            FileDecision whatIf = Decide(new FileTransfer(FileTransferDirection.Upload, "setup.exe", size));
            FileDecision gateway = stream.Decisive!;
            Assert.Equal((whatIf.Action, whatIf.Policy, whatIf.BlockMessage), (gateway.Action, gateway.Policy, gateway.BlockMessage));
            Assert.Equal(whatIf.Action == FileAction.Block, output is null);
            if (whatIf.Action == FileAction.Block)
            {
                // Recorded at the size it was decided at (none when every size gives this answer): the what-if agrees there.
                FileDecision there = Decide(new FileTransfer(FileTransferDirection.Upload, "setup.exe", gateway.SizeBytes ?? 0));
                Assert.Equal(whatIf.Policy, there.Policy);
                Assert.True(gateway.SizeBytes is null || gateway.SizeBytes <= size, $"recorded {gateway.SizeBytes} B of {size}");
            }

            if (Decide(new FileTransfer(FileTransferDirection.Upload, "setup.exe", 0)).Action == FileAction.Block)
            {
                Assert.True(passed == 0, $"{passed} bytes of a file blocked at any size passed");
            }
        }, iter: 60);
    }

    // A file blocked at any size whose policy still hangs on its size, ended by the body limit (Kestrel's 413) before
    // the size settles it: blocked at the size that arrived, by the policy that blocks it there, not let through or
    // answered as a mere 413 without the file's block.
    [Fact]
    public void A_file_blocked_at_any_size_that_the_body_limit_ends_is_blocked_at_the_size_that_arrived()
    {
        static FileDecision ExeOrLarge(FileTransfer file) => new()
        {
            Action = FileAction.Block, Direction = file.Direction, FileName = file.FileName, SizeBytes = file.SizeBytes,
            Policy = file.SizeBytes is not long s || s >= 2 * 1024 * 1024 ? "No large uploads" : "No executables",
        };
        byte[] body = [.. "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"setup.exe\"\r\n\r\n"u8, .. new byte[3 * 1024 * 1024], .. "\r\n--b--\r\n"u8];
        var stream = new MultipartUploadStream(new LimitedStream(new MemoryStream(body), 500_000), "b", ExeOrLarge);
        long passed = 0;

        Assert.Throws<UploadRefusedException>(() => ReadAll(stream, [65536], ref passed));

        Assert.Equal((FileAction.Block, "No executables", 0L), (stream.Decisive!.Action, stream.Decisive.Policy, passed));
        Assert.InRange(stream.Decisive.SizeBytes!.Value, 400_000, 500_000);
    }

    private static byte[] Filled(int bytes, byte value)
    {
        byte[] data = new byte[bytes];
        Array.Fill(data, value);
        return data;
    }

    /// <summary>A client body past Kestrel's body limit: the read that goes over it throws as Kestrel's does.</summary>
    private sealed class LimitedStream(Stream inner, int limit) : Stream
    {
        private int _read;

        public override int Read(byte[] buffer, int offset, int count)
        {
            int read = inner.Read(buffer, offset, count);
            _read += read;
            return _read > limit ? throw new Microsoft.AspNetCore.Http.BadHttpRequestException("Request body too large.", 413) : read;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static IEnumerable<string?> UpstreamFileNames(byte[] body, string boundary)
    {
        var names = new List<string?>();
        try
        {
            var reader = new MultipartReader(boundary, new MemoryStream(body));
            while (reader.ReadNextSectionAsync().GetAwaiter().GetResult() is { } section)
            {
                section.Body.CopyTo(Stream.Null);
                if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out ContentDispositionHeaderValue? cd)
                    && (cd.FileName.HasValue || cd.FileNameStar.HasValue))
                {
                    names.Add(HeaderUtilities.RemoveQuotes(cd.FileNameStar.HasValue ? cd.FileNameStar : cd.FileName).ToString() is { Length: > 0 } n ? n : null);
                    names.Add(HeaderUtilities.RemoveQuotes(cd.FileName).ToString() is { Length: > 0 } plain ? plain : null);
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            // The upstream's parser refuses the body too: whatever it read before is still in the list.
        }

        return names;
    }

    /// <summary>
    /// The file names a lenient upstream finds (as PHP and some Node parsers do): a delimiter is any line that is
    /// "--boundary" after an LF or CRLF, headers end at the first empty line of either kind, and any filename,
    /// filename* or filename*N parameter of a Content-Disposition (spaced or indented as it may be) names a file.
    /// </summary>
    private static List<string> LenientFileNames(byte[] body, string boundary)
    {
        var names = new List<string>();
        bool inHeaders = false;
        foreach (string raw in Encoding.Latin1.GetString(body).Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            string bare = line.TrimEnd(' ', '\t');
            if (bare == "--" + boundary)
            {
                inHeaders = true;
                continue;
            }

            if (bare == "--" + boundary + "--")
            {
                break;
            }

            if (!inHeaders)
            {
                continue;
            }

            if (line.Length == 0)
            {
                inHeaders = false;
                continue;
            }

            if (!System.Text.RegularExpressions.Regex.IsMatch(line, "^\\s*content-disposition\\s*:", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
            {
                continue;
            }

            string joined = "";
            foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(
                line, "filename(\\*\\d*)?\\*?=(?:[\\w-]*'[\\w-]*')?\"?([^\";]*)", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
            {
                string value = Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(match.Groups[2].Value));
                value = value.Contains('%') ? Uri.UnescapeDataString(value) : value;
                names.Add(value);
                joined += value;
            }

            names.Add(joined);
        }

        return names;
    }

    private static byte[] ReadAll(Stream stream, int[] sizes, ref long passed)
    {
        var output = new MemoryStream();
        for (int i = 0; ; i++)
        {
            byte[] buffer = new byte[Math.Max(1, sizes[i % sizes.Length] / 2 + 1)];
            int read = stream.Read(buffer, 0, buffer.Length);
            if (read == 0)
            {
                return output.ToArray();
            }

            output.Write(buffer, 0, read);
            passed += read;
        }
    }

    private static FileDecision Allow(FileTransfer file) => new() { Action = FileAction.Allow, Direction = file.Direction, FileName = file.FileName, SizeBytes = file.SizeBytes };

    private static FileDecision Block(FileTransfer file) => new() { Action = FileAction.Block, Direction = file.Direction, FileName = file.FileName, SizeBytes = file.SizeBytes };

    /// <summary>A client body that arrives in reads of the given sizes, so delimiters split across reads.</summary>
    private sealed class ChunkedStream(byte[] data, int[] sizes) : Stream
    {
        private int _position;
        private int _read;

        public override int Read(byte[] buffer, int offset, int count)
        {
            int size = Math.Min(Math.Min(count, sizes[_read++ % sizes.Length]), data.Length - _position);
            data.AsSpan(_position, size).CopyTo(buffer.AsSpan(offset));
            _position += size;
            return size;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
