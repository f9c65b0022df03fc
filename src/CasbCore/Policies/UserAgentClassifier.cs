using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// Classifies a request's client app from its User-Agent the way MDCA does: a real web browser is
/// <see cref="ClientAppType.Browser"/>; everything else (Office and other desktop apps, embedded WebViews and
/// Electron apps, command-line tools, HTTP libraries, a missing User-Agent) is
/// <see cref="ClientAppType.MobileAndDesktop"/>. The rules, in order (see docs/client-app-types.md):
/// <list type="number">
/// <item>Empty or missing: MobileAndDesktop.</item>
/// <item>Not starting with <c>Mozilla/5.0</c> (every current browser's prefix): MobileAndDesktop.</item>
/// <item>A token of an app that embeds a browser engine (Electron/, Teams/, OneOutlook/, PowerShell/, an Android
/// WebView's <c>; wv)</c>, in-app browsers such as FBAN/ or Instagram): MobileAndDesktop.</item>
/// <item>A browser engine token (<c>Safari/</c>, which every Chromium and WebKit browser sends, <c>Firefox/</c>,
/// <c>Trident/</c> for Internet Explorer 11): Browser.</item>
/// <item>Anything else (e.g. an iOS WKWebView without <c>Safari/</c>, crawlers): MobileAndDesktop.</item>
/// </list>
/// </summary>
public static class UserAgentClassifier
{
    private const string BrowserPrefix = "Mozilla/5.0";

    /// <summary>Lower-case tokens of apps that embed a browser engine; their sessions are apps, not browsers (as MDCA treats them).</summary>
    private static readonly string[] EmbeddedAppTokens =
    [
        "electron/",
        "teams/",
        "msteams",
        "oneoutlook/",
        "microsoft outlook",
        "msoffice",
        "ms-office",
        "microsoft office",
        "onedrive",
        "powershell/",
        "windowspowershell",
        "; wv)",
        "webview",
        "msapphost/",
        "fban/",
        "fbav/",
        "instagram",
        "slack/",
        "zoom/",
        "skype/",
    ];

    private static readonly string[] BrowserEngineTokens =
    [
        "safari/",
        "firefox/",
        "trident/",
    ];

    public static ClientAppType Classify(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return ClientAppType.MobileAndDesktop;
        }

        ReadOnlySpan<char> trimmed = userAgent.AsSpan().Trim();
        if (!trimmed.StartsWith(BrowserPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return ClientAppType.MobileAndDesktop;
        }

        // Lower-case once, then search ordinally: far cheaper than a dozen case-insensitive searches.
        Span<char> lower = trimmed.Length <= 1024 ? stackalloc char[trimmed.Length] : new char[trimmed.Length];
        trimmed.ToLowerInvariant(lower);

        foreach (string token in EmbeddedAppTokens)
        {
            if (lower.IndexOf(token.AsSpan(), StringComparison.Ordinal) >= 0)
            {
                return ClientAppType.MobileAndDesktop;
            }
        }

        foreach (string token in BrowserEngineTokens)
        {
            if (lower.IndexOf(token.AsSpan(), StringComparison.Ordinal) >= 0)
            {
                return ClientAppType.Browser;
            }
        }

        return ClientAppType.MobileAndDesktop;
    }
}
