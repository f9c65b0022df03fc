namespace CasbCore.Policies;

/// <summary>
/// Every name a file could be stored under when a server or a browser reads the name it was sent: readers decode %XX,
/// RFC 2047 words and HTML character references, end a name at a NUL, or open an NTFS stream's file. The engine
/// decides a file under each (<see cref="CasbEngine.DecideFile"/>), so the gateway and Test-CasbAccess -FileName
/// answer alike for the same name, and no reading of it is a way round a policy.
/// </summary>
public static partial class FileNameSpellings
{
    /// <summary>The name itself first, then each other spelling; only the name when it has none.</summary>
    public static IReadOnlyList<string> Of(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var names = new List<string>(2);
        Add(names, name);
        if (names.Count == 0)
        {
            names.Add(name);
        }

        return names;
    }

    /// <summary>
    /// True when <paramref name="test"/> holds for <paramref name="name"/> or, when it has others, for another spelling of
    /// it: the name alone for most names (no list, and a static lambda with its state allocates nothing).
    /// </summary>
    public static bool Any<TState>(string name, TState state, Func<TState, string, bool> test)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(test);
        if (test(state, name))
        {
            return true;
        }

        if (!HasOthers(name))
        {
            return false;
        }

        IReadOnlyList<string> spellings = Of(name);
        for (int i = 1; i < spellings.Count; i++) // the first is the name itself
        {
            if (test(state, spellings[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="name"/> may read as another name (the fast path: most names have no other spelling).</summary>
    public static bool HasOthers(string name) =>
        name.AsSpan().IndexOfAny('%', ':', '&') >= 0 || name.Contains("=?", StringComparison.Ordinal) || name.AsSpan().IndexOfAnyInRange('\0', '\x1F') >= 0;

    /// <summary>Adds <paramref name="name"/> (unless blank or already there) and every other spelling of it to <paramref name="names"/>.</summary>
    public static void Add(List<string> names, string? name)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (string.IsNullOrWhiteSpace(name) || names.Contains(name, StringComparer.Ordinal))
        {
            return;
        }

        names.Add(name);

        // A server in C (or PHP before 5.4) ends the name at a NUL: "a.exe\0.txt" is saved as "a.exe".
        int control = name.AsSpan().IndexOfAnyInRange('\0', '\x1F');
        if (control > 0)
        {
            Add(names, name[..control]);
        }

        // Windows opens "setup.exe::$DATA" (a file's unnamed NTFS stream) as setup.exe: an upstream there writes that file.
        int folder = name.LastIndexOfAny(['/', '\\']);
        int stream = name.IndexOf(':', folder + 1);
        if (stream > folder + 1)
        {
            Add(names, name[..stream]);
        }

        // Some servers (and Chrome, which sends " as %22) read %XX in a file name; others do not.
        if (name.Contains('%'))
        {
            Add(names, Uri.UnescapeDataString(name));
        }

        // formidable and node-fetch's multipart parser decode "&#0046;" (four digits) to '.': "setup&#0046;exe" is "setup.exe".
        if (name.Contains("&#", StringComparison.Ordinal))
        {
            string decoded = CharacterReference().Replace(name, m => int.TryParse(m.Groups[1].ValueSpan, out int code) && code is > 0 and < 0x10000 ? ((char)code).ToString() : m.Value);
            if (decoded != name)
            {
                Add(names, decoded);
            }
        }

        // Chrome, Firefox, Commons FileUpload and Python's email parser decode RFC 2047 words ("=?UTF-8?Q?setup.exe?=",
        // which Java's MimeUtility writes for a name that is not ASCII); the header library decodes one quoted B word only.
        if (name.Contains("=?", StringComparison.Ordinal) && DecodeEncodedWords(name) is var words && words != name)
        {
            Add(names, words);
        }
    }

    /// <summary>
    /// A name with its RFC 2047 encoded words decoded ("=?UTF-8?Q?setup.exe?=" is "setup.exe"), B or Q, quoted or not,
    /// several in a row (the white space between two words dropped), a charset .NET does not know read as Latin-1; a word
    /// that does not decode is kept as sent.
    /// </summary>
    public static string DecodeEncodedWords(string name) => EncodedWord().Replace(name, m =>
    {
        string text = m.Groups["text"].Value;
        byte[]? bytes = m.Groups["coding"].Value is "B" or "b" ? FromBase64(text) : FromQuotedPrintable(text);
        if (bytes is null)
        {
            return m.Value;
        }

        System.Text.Encoding encoding;
        try
        {
            encoding = System.Text.Encoding.GetEncoding(m.Groups["charset"].Value);
        }
        catch (ArgumentException)
        {
            encoding = System.Text.Encoding.Latin1;
        }

        return encoding.GetString(bytes);
    });

    private static byte[]? FromBase64(string text)
    {
        string padded = text.TrimEnd('=');
        padded = padded.PadRight(padded.Length + (4 - padded.Length % 4) % 4, '=');
        byte[] bytes = new byte[padded.Length];
        return Convert.TryFromBase64String(padded, bytes, out int written) ? bytes[..written] : null;
    }

    private static byte[] FromQuotedPrintable(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '_')
            {
                bytes.Add((byte)' ');
            }
            else if (c == '=' && i + 2 < text.Length && char.IsAsciiHexDigit(text[i + 1]) && char.IsAsciiHexDigit(text[i + 2]))
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return bytes.ToArray();
    }

    // A word, and the white space after it when another word follows (RFC 2047 6.2: it is not part of the text).
    [System.Text.RegularExpressions.GeneratedRegex(@"=\?(?<charset>[^?*\s]+)(?:\*[^?\s]*)?\?(?<coding>[BbQq])\?(?<text>[^?\s]*)\?=(?:\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=))?")]
    private static partial System.Text.RegularExpressions.Regex EncodedWord();

    [System.Text.RegularExpressions.GeneratedRegex(@"&#([0-9]{1,5});")]
    private static partial System.Text.RegularExpressions.Regex CharacterReference();
}
