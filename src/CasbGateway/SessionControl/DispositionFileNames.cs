using CasbCore.Policies;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace CasbGateway.SessionControl;

/// <summary>
/// Every name a Content-Disposition gives its file. Servers and browsers read the header differently: one takes
/// filename*, another filename (PHP ignores filename*), one unescapes quoted pairs or %XX, another keeps them. A file
/// is decided under each of its spellings and gets the strictest answer, so no reading of the header is a way
/// round a policy. A header that two readers could take apart differently (a parameter given twice, RFC 2231
/// continuations such as filename*0) is refused rather than guessed.
/// </summary>
internal static class DispositionFileNames
{
    /// <summary>
    /// The ways a browser may read a Content-Disposition as the gateway received it: the value itself and, when its
    /// characters are the bytes of UTF-8 text (the upstream client reads a header one character per byte, and the browser
    /// gets those bytes), that text first: Chromium and Firefox read a raw UTF-8 filename= ("résumé.pdf" from PHP's
    /// header()) as UTF-8, so the file is decided and recorded under the name the browser saves.
    /// </summary>
    public static IEnumerable<string> Readings(string header)
    {
        ReadOnlySpan<char> span = header.AsSpan();
        if (span.IndexOfAnyInRange('\u0080', '\u00FF') >= 0 && span.IndexOfAnyExceptInRange('\0', '\u00FF') < 0)
        {
            byte[] bytes = System.Text.Encoding.Latin1.GetBytes(header);
            if (System.Text.Unicode.Utf8.IsValid(bytes))
            {
                return [System.Text.Encoding.UTF8.GetString(bytes), header];
            }
        }

        return [header];
    }

    /// <summary>
    /// Reads <paramref name="header"/>. False (with <paramref name="problem"/>) when it does not parse or is ambiguous.
    /// <paramref name="namesFile"/> is true when it has a filename or filename* parameter (even an empty one);
    /// <paramref name="names"/> then holds each distinct non-empty spelling, the one a browser saves under first.
    /// </summary>
    public static bool TryRead(string header, out ContentDispositionHeaderValue? disposition, out bool namesFile, List<string> names, out string? problem)
    {
        namesFile = false;
        problem = null;
        if (!ContentDispositionHeaderValue.TryParse(header, out disposition))
        {
            // Browsers still save a file under what they read in it ("filename=Q3 report.exe", raw UTF-8, a quote left open).
            problem = "its Content-Disposition does not parse";
            namesFile = ReadLeniently(header, names);
            return false;
        }

        int fileName = 0, fileNameStar = 0, name = 0;
        var continuation = new System.Text.StringBuilder();
        var every = new List<string>();
        foreach (NameValueHeaderValue parameter in disposition.Parameters)
        {
            ReadOnlySpan<char> key = parameter.Name.AsSpan();
            if (key.Equals("filename", StringComparison.OrdinalIgnoreCase))
            {
                fileName++;
            }
            else if (key.Equals("filename*", StringComparison.OrdinalIgnoreCase))
            {
                fileNameStar++;
            }
            else if (key.Equals("name", StringComparison.OrdinalIgnoreCase))
            {
                name++;
            }
            else if (key.StartsWith("filename", StringComparison.OrdinalIgnoreCase) || key.StartsWith("name*", StringComparison.OrdinalIgnoreCase))
            {
                problem ??= $"its Content-Disposition has a parameter '{parameter.Name}' that some servers join into a file name";
                if (key.StartsWith("filename", StringComparison.OrdinalIgnoreCase))
                {
                    continuation.Append(Value(parameter.Value.ToString()));
                }
            }
            else
            {
                continue;
            }

            if (key.StartsWith("filename", StringComparison.OrdinalIgnoreCase))
            {
                // Every value any reader could take for the name, so an ambiguous header is still decided under each.
                Add(every, Value(parameter.Value.ToString()));
            }
        }

        if (continuation.Length > 0)
        {
            Add(every, continuation.ToString());
        }

        if (fileName > 1 || fileNameStar > 1 || name > 1)
        {
            problem ??= "its Content-Disposition gives a parameter twice";
        }

        if (problem is not null)
        {
            namesFile = true;
            foreach (string candidate in every)
            {
                Add(names, candidate);
            }

            ReadLeniently(header, names);
            return false;
        }

        namesFile = fileName + fileNameStar > 0;
        if (fileNameStar > 0)
        {
            // The header library decodes RFC 5987 (charset'language'%XX); a value it cannot decode is kept as sent.
            // It throws on some malformed values (found by fuzzing): those are ambiguous, decided under the raw value.
            string? decoded;
            try
            {
                decoded = disposition.FileNameStar.Value;
            }
            catch (ArgumentException)
            {
                decoded = null;
                problem = "its Content-Disposition has a filename* that does not decode";
            }

            Add(names, decoded);
            string raw = ValueOf(disposition, "filename*");
            int quote = raw.IndexOf('\'', raw.IndexOf('\'') + 1);
            Add(names, quote >= 0 ? Unescape(raw[(quote + 1)..]) : raw);
        }

        if (fileName > 0)
        {
            StringSegment quoted = ValueOf(disposition, "filename"); // as sent: the library's FileName also decodes MIME words
            string plain = HeaderUtilities.RemoveQuotes(quoted).ToString();
            Add(names, plain);
            if (HeaderUtilities.IsQuoted(quoted))
            {
                Add(names, HeaderUtilities.UnescapeAsQuotedString(quoted).ToString());
            }

            Add(names, Unescape(plain));
            // Some servers (and Chrome, which sends " as %22) read %XX in a plain filename; others do not.
            try
            {
                Add(names, disposition.FileName.Value); // "=?utf-8?B?...?=" MIME words, which some servers decode
            }
            catch (ArgumentException)
            {
                problem = "its Content-Disposition has a filename that does not decode";
            }
        }

        // A reader that searches the header for filename= finds one the parameters do not show (inside a quoted value).
        namesFile |= ReadLeniently(header, names);
        return problem is null;
    }

    /// <summary>
    /// Every value a lenient reader could take for the file's name: each ';'-separated piece (split outside quotes) whose
    /// name starts with "filename" (the first piece too: Chrome reads "filename=a.exe" without a type), and every
    /// "filename=" anywhere in the header, inside another parameter's quoted value too, read up to the next ';' or,
    /// quoted, to the next quote: formidable and node-fetch's multipart parser search the whole header with
    /// /\bfilename=("(.*?)"|token)($|;\s)/i, and browsers read a header the library refuses. True when any names a file.
    /// </summary>
    private static bool ReadLeniently(string header, List<string> names)
    {
        bool namesFile = false;
        foreach (string piece in SplitOutsideQuotes(header))
        {
            int equals = piece.IndexOf('=');
            ReadOnlySpan<char> key = equals < 0 ? default : piece.AsSpan(0, equals).Trim();
            if (key.StartsWith("filename", StringComparison.OrdinalIgnoreCase))
            {
                namesFile = true;
                AddSpellings(names, piece[(equals + 1)..].Trim(), key.Contains('*'));
            }
        }

        for (int at = header.IndexOf("filename", StringComparison.OrdinalIgnoreCase); at >= 0;
             at = header.IndexOf("filename", at + 1, StringComparison.OrdinalIgnoreCase))
        {
            int i = at + "filename".Length;
            bool extended = false;
            while (i < header.Length && (header[i] == '*' || char.IsAsciiDigit(header[i]) || header[i] is ' ' or '\t'))
            {
                extended |= header[i] == '*';
                i++;
            }

            if (i == header.Length || header[i] != '=')
            {
                continue;
            }

            namesFile = true;
            string rest = header[(i + 1)..].TrimStart(' ', '\t');
            int semicolon = rest.IndexOf(';');
            AddSpellings(names, (semicolon < 0 ? rest : rest[..semicolon]).Trim(), extended);
            int close = rest.StartsWith('"') ? rest.IndexOf('"', 1) : -1;
            if (close > 0)
            {
                AddSpellings(names, rest[1..close], extended);
            }
        }

        return namesFile;
    }

    /// <summary>
    /// A value unquoted (a quote left open too), with quoted pairs unescaped and with %XX decoded; an extended
    /// (filename*) value without its charset'language' prefix.
    /// </summary>
    private static void AddSpellings(List<string> names, string raw, bool extended)
    {
        if (extended)
        {
            Add(names, Value(raw));
            return;
        }

        string unquoted = raw.Trim('"').Trim();
        Add(names, unquoted);
        Add(names, HeaderUtilities.UnescapeAsQuotedString("\"" + unquoted + "\"").ToString());
        Add(names, Unescape(unquoted));
    }

    private static IEnumerable<string> SplitOutsideQuotes(string header)
    {
        int start = 0;
        bool quoted = false;
        for (int i = 0; i < header.Length; i++)
        {
            char c = header[i];
            if (quoted && c == '\\')
            {
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ';' && !quoted)
            {
                yield return header[start..i];
                start = i + 1;
            }
        }

        yield return header[start..];
    }

    /// <summary>The part of a name a file is saved under: after the last slash or backslash, without control characters.</summary>
    public static string? LeafName(string? fileName)
    {
        if (string.IsNullOrWhiteSpace(fileName))
        {
            return null;
        }

        string leaf = fileName[(fileName.LastIndexOfAny(['/', '\\']) + 1)..];
        leaf = string.Concat(leaf.Where(c => !char.IsControl(c))).Trim();
        return leaf.Length == 0 ? null : leaf;
    }

    private static string ValueOf(ContentDispositionHeaderValue disposition, string parameter)
    {
        foreach (NameValueHeaderValue p in disposition.Parameters)
        {
            if (p.Name.Equals(parameter, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value.ToString();
            }
        }

        return "";
    }

    /// <summary>A parameter's value as a reader would take it: unquoted, and an RFC 5987 value without its charset'language' prefix.</summary>
    private static string Value(string raw)
    {
        string value = HeaderUtilities.RemoveQuotes(raw).ToString();
        int quote = value.IndexOf('\'');
        int second = quote < 0 ? -1 : value.IndexOf('\'', quote + 1);
        return second >= 0 && !raw.StartsWith('"') ? Unescape(value[(second + 1)..]) : value;
    }

    private static string Unescape(string value)
    {
        if (!value.Contains('%'))
        {
            return value;
        }

        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            return value;
        }
    }

    // Every spelling of a name that readers decode differently is the engine's, so Test-CasbAccess -FileName has them too.
    private static void Add(List<string> names, string? name) => FileNameSpellings.Add(names, name);
}
