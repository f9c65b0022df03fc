using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace CasbModule.Tests.Browser;

/// <summary>
/// One person's browser: Debian's Chromium, headless, with its own temporary HOME (so its own NSS database,
/// $HOME/.pki/nssdb) and its own profile. Every step has a timeout: a headless Chromium that finds a matching
/// certificate but no auto-select rule waits forever on a certificate picker nobody can see.
/// </summary>
internal sealed class BrowserSession : IAsyncDisposable
{
    /// <summary>The longest one browser step (a navigation, a click) may take.</summary>
    public const float StepTimeoutMs = 20_000;

    private readonly DirectoryInfo _root;

    private BrowserSession(string name)
    {
        _root = Directory.CreateTempSubdirectory($"casb-browser-{name}-");
        Home = Directory.CreateDirectory(Path.Combine(_root.FullName, "home")).FullName;
        UserDataDirectory = Path.Combine(_root.FullName, "profile");
    }

    public string Home { get; }

    /// <summary>Where Chromium on Linux reads client certificates and local trust from.</summary>
    public string NssDatabase => Path.Combine(Home, ".pki", "nssdb");

    public string UserDataDirectory { get; }

    public IBrowserContext Context { get; private set; } = null!;

    public IPage Page { get; private set; } = null!;

    /// <summary>A new HOME and profile; nothing runs until <see cref="LaunchAsync"/> (certificates are imported first).</summary>
    public static BrowserSession Create(string name) => new(name);

    /// <summary>
    /// Starts Chromium. With <paramref name="autoSelectCertificateFor"/>, the profile carries the rule an admin's
    /// AutoSelectCertificateForUrls policy would set for that origin, so the browser presents its certificate without
    /// asking (the same content setting, written to the profile's Preferences because the tests run without root).
    /// </summary>
    public async Task LaunchAsync(IPlaywright playwright, Uri? autoSelectCertificateFor, int width = 1024, int height = 768)
    {
        string profile = Directory.CreateDirectory(Path.Combine(UserDataDirectory, "Default")).FullName;
        if (autoSelectCertificateFor is not null)
        {
            string pattern = autoSelectCertificateFor.GetLeftPart(UriPartial.Authority) + ",*";
            var preferences = new JsonObject
            {
                ["profile"] = new JsonObject
                {
                    ["content_settings"] = new JsonObject
                    {
                        ["exceptions"] = new JsonObject
                        {
                            ["auto_select_certificate"] = new JsonObject
                            {
                                [pattern] = new JsonObject { ["setting"] = new JsonObject { ["filters"] = new JsonArray(new JsonObject()) } },
                            },
                        },
                    },
                },
            };
            await File.WriteAllTextAsync(Path.Combine(profile, "Preferences"), preferences.ToJsonString());
        }

        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        environment["HOME"] = Home;
        environment["XDG_CONFIG_HOME"] = Path.Combine(Home, ".config");
        environment["XDG_CACHE_HOME"] = Path.Combine(Home, ".cache");
        environment["XDG_DATA_HOME"] = Path.Combine(Home, ".local", "share");

        var arguments = new List<string> { "--password-store=basic", "--disable-gpu" };
        if (BrowserEnvironment.IsRoot)
        {
            arguments.Add("--no-sandbox");
        }

        Context = await playwright.Chromium.LaunchPersistentContextAsync(UserDataDirectory, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = BrowserEnvironment.Chromium,
            Headless = true,
            Args = arguments,
            Env = environment,
            Timeout = 60_000,
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        Context.SetDefaultTimeout(StepTimeoutMs);
        Context.SetDefaultNavigationTimeout(StepTimeoutMs);
        Page = Context.Pages.Count > 0 ? Context.Pages[0] : await Context.NewPageAsync();
    }

    /// <summary>Opens <paramref name="url"/> as a person would (typing it); fails the test on a timeout instead of hanging.</summary>
    public async Task<IResponse> OpenAsync(Uri url)
    {
        IResponse? response = await Page.GotoAsync(url.ToString(), new PageGotoOptions { Timeout = StepTimeoutMs, WaitUntil = WaitUntilState.Load });
        return response ?? throw new InvalidOperationException($"No response for {url}.");
    }

    /// <summary>Saves what the person sees as out/TestResults/browser/<paramref name="name"/>.png (a test artifact).</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(BrowserEnvironment.ScreenshotFolder);
        string path = Path.Combine(BrowserEnvironment.ScreenshotFolder, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Timeout = StepTimeoutMs });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        if (Context is not null)
        {
            try
            {
                await Context.CloseAsync();
            }
            catch (PlaywrightException)
            {
                // Already gone (a crashed browser); the profile is removed below either way.
            }
        }

        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
