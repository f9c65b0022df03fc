using CasbGateway.SignIn;
using CsCheck;

namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>
/// The two address rules of sign-in, with generated neighbours: a return address is used only when a browser would
/// resolve it on the same host, and every spelling of the reserved prefix is reserved.
/// </summary>
public sealed class SignInPathTests
{
    private const string Host = "portal.contoso.local:8443";
    private static readonly Uri Origin = new("https://" + Host + "/");

    /// <summary>What a browser does with a redirect Location: drops tabs and newlines, reads '\' as '/', resolves against the page.</summary>
    private static Uri? BrowserResolves(string location)
    {
        string cleaned = new string(location.Where(c => c is not ('\t' or '\n' or '\r')).ToArray()).Replace('\\', '/').Trim();
        return Uri.TryCreate(Origin, cleaned, out Uri? resolved) ? resolved : null;
    }

    [Theory]
    [InlineData("/", "/")]
    [InlineData("", "/")]
    [InlineData("/reports?q=1", "/reports?q=1")]
    [InlineData("https://portal.contoso.local:8443/reports?q=1", "/reports?q=1")]
    [InlineData("HTTPS://PORTAL.contoso.local:8443/x", "/x")]
    [InlineData("/caf\u00e9?q=\u00fc", "/caf%C3%A9?q=%C3%BC")]
    [InlineData("/wiki/What%3F", "/wiki/What%3F")]
    [InlineData("https://portal.contoso.local:8443/caf\u00e9", "/caf%C3%A9")]
    public void Local_addresses_are_kept_as_a_path(string returnUrl, string expected) =>
        Assert.Equal(expected, ReturnUrls.Normalize(returnUrl, "https", Host));

    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example")]
    [InlineData("\\\\evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("https://portal.contoso.local:9443/")]
    [InlineData("http://portal.contoso.local:8443/")]
    [InlineData("https://user@portal.contoso.local:8443/")]
    [InlineData("https:evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("evil.example")]
    public void Addresses_off_the_host_are_refused(string returnUrl) => Assert.Null(ReturnUrls.Normalize(returnUrl, "https", Host));

    [Theory]
    [InlineData("evil.example@portal")]
    [InlineData("portal contoso")]
    [InlineData("")]
    public void A_host_header_that_is_not_a_host_refuses_absolute_addresses_without_throwing(string host) =>
        Assert.Null(ReturnUrls.Normalize("https://portal.contoso.local/x", "https", host));

    [Fact]
    public void Whatever_is_asked_for_a_browser_never_leaves_the_host()
    {
        Gen<string> piece = Gen.OneOf(
            Gen.OneOf("/", "//", "\\", "/\\", "\t", "\n", " ", "%2F", "%5C", "%09", "@", ":", "?", "#", ".", "..", "https:", "http:", "javascript:",
                "evil.example", "portal.contoso.local", ":8443", ":9443", "user@", "x", "reports", "\u00e9", "\u4e2d", "\U0001F600"),
            Gen.String[0, 3]);
        Gen<string> address = piece.Array[0, 7].Select(parts => string.Concat(parts));
        address.Sample(returnUrl =>
        {
            string? local = ReturnUrls.Normalize(returnUrl, "https", Host);
            if (local is not null)
            {
                // It becomes a Location header: ASCII only.
                Assert.True(System.Text.Ascii.IsValid(local), local);
                Uri? resolved = BrowserResolves(local);
                Assert.NotNull(resolved);
                Assert.Equal(Origin.Authority, resolved!.Authority);
                Assert.Equal("https", resolved.Scheme);
            }
        }, iter: 20_000);
    }

    [Theory]
    [InlineData("/.casb/signin-oidc")]
    [InlineData("/.casb")]
    [InlineData("/.CASB/x")]
    [InlineData("//.casb/x")]
    [InlineData("\\.casb/x")]
    [InlineData("/./.casb/x")]
    [InlineData("/%2Ecasb/x")]
    [InlineData("/%252Ecasb/x")]
    [InlineData("/%2F.casb/x")]
    [InlineData("/.casb%2Fsignin-oidc")]
    public void Every_spelling_of_the_prefix_is_reserved(string path) => Assert.True(SignInPaths.IsReserved(path));

    [Theory]
    [InlineData("/")]
    [InlineData("/casb")]
    [InlineData("/app/.casb/x")]
    [InlineData("/.well-known/x")]
    [InlineData("/x.casb")]
    public void Other_paths_are_not(string path) => Assert.False(SignInPaths.IsReserved(path));

    [Fact]
    public void Generated_spellings_of_the_prefix_are_all_reserved()
    {
        Gen<string> slashes = Gen.OneOf("/", "//", "/\\", "%2F", "/%2F", "/./", "/%2E/");
        Gen<string> casb = Gen.Int[0, 31].Select(mask => new string(".casb".Select((c, i) => (mask >> i & 1) == 1 ? char.ToUpperInvariant(c) : c).ToArray()));
        Gen<string> encoded = casb.SelectMany(name => Gen.Int[0, 31].Select(mask =>
            string.Concat(name.Select((c, i) => (mask >> i & 1) == 1 ? $"%{(int)c:X2}" : c.ToString()))));
        Gen<string> rest = Gen.OneOf("", "/", "/signin-oidc", "%2Fsignin-oidc", "/x?y=1");
        Gen.Select(slashes, encoded, rest, (s, n, r) => s + n + r).Sample(path => Assert.True(SignInPaths.IsReserved(path), path));
    }
}
