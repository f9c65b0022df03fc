namespace CasbModule.Tests.Browser;

/// <summary>
/// What the browser tests need from the machine: Debian's Chromium (a full browser: chromium-headless-shell never sends
/// client certificates, and browsers that download their own builds cannot be fetched here) and NSS's tools.
/// </summary>
internal static class BrowserEnvironment
{
    public static readonly string Chromium = Environment.GetEnvironmentVariable("CASB_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>CI sets CI=true: there a missing browser fails the tests instead of skipping them.</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>What is missing, or null when everything is there.</summary>
    public static string? Missing
    {
        get
        {
            var missing = new List<string>();
            if (!File.Exists(Chromium))
            {
                missing.Add($"Chromium ({Chromium})");
            }

            string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
            if (!path.Any(p => File.Exists(Path.Combine(p, "pk12util")) && File.Exists(Path.Combine(p, "certutil"))))
            {
                missing.Add("NSS tools (pk12util, certutil)");
            }

            return missing.Count == 0 ? null : string.Join(" and ", missing) + " not found; install the Debian packages: apt-get install chromium libnss3-tools";
        }
    }

    /// <summary>Chromium refuses to start its sandbox as root (CI runs as root).</summary>
    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>The repository root (where CasbModule.sln is), for out/TestResults/browser.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CasbModule.sln")))
                {
                    return dir.FullName;
                }
            }

            return Path.GetTempPath();
        }
    }

    public static string ScreenshotFolder => Path.Combine(RepositoryRoot, "out", "TestResults", "browser");
}

/// <summary>
/// A test that drives a real browser. Skipped, with the reason, on a developer machine without Chromium or the NSS
/// tools; in CI it runs and fails on the missing piece, so the suite can never pass by silently skipping it.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        Timeout = 180_000;
        if (!BrowserEnvironment.InCi && BrowserEnvironment.Missing is { } missing)
        {
            Skip = missing + " (in CI, with CI=true, this fails instead).";
        }
    }
}
