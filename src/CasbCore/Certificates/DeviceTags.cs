namespace CasbCore.Certificates;

/// <summary>The device tags a request can earn. MDCA's display names are canonical; compact aliases are accepted.</summary>
public static class DeviceTags
{
    public const string ValidClientCertificate = "Valid client certificate";

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        [ValidClientCertificate] = ValidClientCertificate,
        ["ValidClientCertificate"] = ValidClientCertificate,
    };

    public static IReadOnlyCollection<string> Known { get; } = new[] { ValidClientCertificate };

    /// <summary>Returns the canonical tag name, or null when <paramref name="tag"/> is not a known tag.</summary>
    public static string? Normalize(string tag) =>
        Aliases.TryGetValue(tag.Trim(), out string? canonical) ? canonical : null;
}
