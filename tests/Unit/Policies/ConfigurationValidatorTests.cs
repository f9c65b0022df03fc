using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
using CsCheck;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

public sealed class ConfigurationValidatorTests
{
    [Fact]
    public void The_seed_configuration_is_valid()
    {
        Assert.Empty(ConfigurationValidator.Validate(Seed()));
    }

    public static TheoryData<string, Action<CasbConfiguration>, string, string> ProblemCases => new()
    {
        // case, how the seed is broken, expected error id, a fragment of the message
        { "duplicate app", c => c.Apps.Add(new AppEntry { Name = "AZURE PORTAL", Upstream = "https://127.0.0.1:1" }), "DuplicateName", "more than one app named 'AZURE PORTAL'" },
        { "duplicate group", c => c.Groups.Add(new GroupEntry { Name = "vendors" }), "DuplicateName", "group named 'vendors'" },
        { "duplicate CA policy", c => c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry { Name = "route to app control" }), "DuplicateName", "conditional access policy" },
        { "duplicate access policy", c => c.AccessPolicies.Add(new AccessPolicyEntry { Name = "Require Certificate" }), "DuplicateName", "access policy named" },
        { "empty name", c => c.Groups.Add(new GroupEntry { Name = " " }), "InvalidName", "empty name" },
        { "access policy names a missing app", c => c.AccessPolicies[0].Apps.Add("Payroll"), "UnknownApp", "Access policy 'Require certificate' refers to app 'Payroll'" },
        { "CA policy names a missing app", c => c.ConditionalAccessPolicies[0].Apps.Add("Payroll"), "UnknownApp", "refers to app 'Payroll'" },
        { "access policy names a missing group", c => c.AccessPolicies[0].ExcludeGroups.Add("Admins"), "UnknownGroup", "refers to group 'Admins'" },
        { "CA policy names a missing group", c => c.ConditionalAccessPolicies[0].IncludeGroups.Add("Admins"), "UnknownGroup", "refers to group 'Admins'" },
        { "bad IP range", c => c.AccessPolicies[0].IPRanges.Add("10.0.0.0/40"), "InvalidIPRange", "'10.0.0.0/40' is invalid" },
        { "bad IPv6 range", c => c.AccessPolicies[0].IPRanges.Add("2001:db8::1/32"), "InvalidIPRange", "did you mean 2001:db8::/32" },
        { "wildcard in the middle", c => c.Apps[0].Hostnames.Add("a.*.contoso.local"), "InvalidHostname", "wildcard" },
        { "bare wildcard", c => c.Apps[0].Hostnames.Add("*"), "InvalidHostname", "wildcard" },
        { "host with port", c => c.Apps[0].Hostnames.Add("mos.contoso.local:8443"), "InvalidHostname", "port" },
        { "host with scheme", c => c.Apps[0].Hostnames.Add("https://mos.contoso.local"), "InvalidHostname", "scheme" },
        { "host with underscore", c => c.Apps[0].Hostnames.Add("my_app.contoso.local"), "InvalidHostname", "'_'" },
        { "label with leading hyphen", c => c.Apps[0].Hostnames.Add("-app.contoso.local"), "InvalidHostname", "hyphen" },
        { "same host and prefix twice", c => c.Apps[1].Hostnames.Add("MOS.contoso.local"), "DuplicateRoute", "already used by app 'Microsoft Online Services'" },
        { "relative upstream", c => c.Apps[0].Upstream = "mos.contoso.local", "InvalidUpstream", "absolute http:// or https://" },
        { "ftp upstream", c => c.Apps[0].Upstream = "ftp://files.contoso.local", "InvalidUpstream", "'ftp://files.contoso.local'" },
        // The gateway appends the request's path and query to the upstream: after a query or fragment they went to its root.
        { "upstream with a query", c => c.Apps[0].Upstream = "https://127.0.0.1:9001/app?tenant=a", "InvalidUpstream", "query" },
        { "upstream with a fragment", c => c.Apps[0].Upstream = "https://127.0.0.1:9001/#x", "InvalidUpstream", "fragment" },
        { "upstream with user info", c => c.Apps[0].Upstream = "https://svc:Secret1@127.0.0.1:9001/", "InvalidUpstream", "user name" },
        { "prefix without slash", c => c.Apps[0].PathPrefix = "app", "InvalidPathPrefix", "start with '/'" },
        { "prefix with query", c => c.Apps[0].PathPrefix = "/app?x=1", "InvalidPathPrefix", "'?'" },
        { "prefix with dot segment", c => c.Apps[0].PathPrefix = "/app/../admin", "InvalidPathPrefix", "'..'" },
        { "prefix with an escaped slash", c => c.Apps[0].PathPrefix = "/admin%2Fsecret", "EscapedPathPrefix", "write it decoded" },
        { "prefix with an escaped letter", c => c.Apps[0].PathPrefix = "/%7Euser", "EscapedPathPrefix", "Set-CasbApp -Name 'Microsoft Online Services' -PathPrefix" },
        { "prefix with a path parameter", c => c.Apps[0].PathPrefix = "/app;v=1", "InvalidPathPrefix", "';' path parameter" },
        { "prefix with a trailing-dot segment", c => c.Apps[0].PathPrefix = "/app./x", "InvalidPathPrefix", "ends with '.'" },
        { "prefix with a fullwidth letter", c => c.Apps[0].PathPrefix = "/\uFF41pp", "InvalidPathPrefix", "must be ASCII" },
        { "prefix with a non-ASCII letter", c => c.Apps[0].PathPrefix = "/caf\u00e9", "InvalidPathPrefix", "several spellings" },
        { "same host, prefixes differing in case only", c => { c.Apps[0].PathPrefix = "/App"; c.Apps[1].PathPrefix = "/aPP/"; c.Apps[1].Hostnames.Add("mos.contoso.local"); }, "DuplicateRoute", "already used" },
        { "unknown device tag", c => c.AccessPolicies[0].DeviceTags.Add("Intune compliant"), "UnknownDeviceTag", "'Intune compliant' is not known" },
        { "bad trusted proxy", c => c.Settings.TrustedProxies.Add("proxy.contoso.local"), "InvalidTrustedProxy", "'proxy.contoso.local' is invalid" },
        { "name with a terminal escape", c => c.Groups.Add(new GroupEntry { Name = "ops\u001b[2J" }), "InvalidName", "'ops\\x1b[2J' is refused: it contains the control or bidi character \\x1b" },
        { "name with a bidi override", c => c.Groups.Add(new GroupEntry { Name = "ops\u202e" }), "InvalidName", "control or bidi" },
        { "upstream with a terminal escape", c => c.Apps[0].Upstream = "https://127.0.0.1:9001/\u001b[31m", "InvalidUpstream", "control or bidi" },
        { "upstream with a percent-encoded bidi override", c => c.Apps[0].Upstream = "https://127.0.0.1:9001/%E2%80%AE", "InvalidUpstream", "control or bidi" },
        { "identity header User-Agent", c => c.Settings.IdentityHeader = "User-Agent", "InvalidIdentityHeader", "The identity header 'User-Agent' cannot be used" },
        { "identity header with a space", c => c.Settings.IdentityHeader = "X User", "InvalidIdentityHeader", "' ' is not allowed" },
    };

    [Theory]
    [MemberData(nameof(ProblemCases))]
    public void Each_problem_has_a_stable_error_id_and_names_the_item(string @case, Action<CasbConfiguration> breakIt, string errorId, string fragment)
    {
        CasbConfiguration configuration = Seed();
        breakIt(configuration);

        ConfigurationProblem problem = Assert.Single(ConfigurationValidator.Validate(configuration));

        Assert.True(errorId == problem.ErrorId, $"{@case}: {problem.ErrorId} {problem.Message}");
        Assert.Contains(fragment, problem.Message);
        CasbException error = Assert.Throws<CasbException>(() => ConfigurationValidator.ThrowIfInvalid(configuration));
        Assert.Equal(errorId, error.ErrorId);
        // A name's characters are an argument's fault wherever they come from (a cmdlet, a file): the category cmdlets give it.
        Assert.Equal(problem.Message.Contains("control or bidi", StringComparison.Ordinal) && errorId == "InvalidName" ? CasbErrorKind.InvalidArgument : CasbErrorKind.InvalidData, error.Kind);
    }

    [Theory]
    [InlineData("*.contoso.local")]
    [InlineData("portal.contoso.local")]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("[2001:db8::1]")]
    [InlineData("xn--bcher-kva.example")]
    [InlineData("portal.contoso.local.")]
    public void Valid_host_names_pass(string hostname)
    {
        Assert.Null(ConfigurationValidator.HostnameProblem(hostname));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/app")]
    [InlineData("/app/v2/")]
    [InlineData("/~user")]
    [InlineData("/Reports/Q3")]
    [InlineData("/.well-known")]
    public void Valid_path_prefixes_pass(string prefix)
    {
        Assert.Null(ConfigurationValidator.PathPrefixProblem(prefix));
    }

    [Fact]
    public void Every_problem_is_reported_and_the_exception_carries_the_first()
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies[0].Apps.Add("Payroll");
        configuration.Settings.TrustedProxies.Add("nope");

        IReadOnlyList<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration);
        CasbException error = Assert.Throws<CasbException>(() => ConfigurationValidator.ThrowIfInvalid(configuration));

        Assert.Equal(["UnknownApp", "InvalidTrustedProxy"], problems.Select(p => p.ErrorId));
        Assert.Equal("UnknownApp", error.ErrorId);
        Assert.Equal("Require certificate", error.Target);
        Assert.Contains("'nope'", error.Message);
    }

    [Fact]
    public void The_same_host_under_different_prefixes_or_wildcards_is_not_a_duplicate_route()
    {
        CasbConfiguration configuration = Seed();
        configuration.Apps.Add(new AppEntry { Name = "MOS admin", Upstream = "https://127.0.0.1:9003", Hostnames = ["mos.contoso.local"], PathPrefix = "/admin" });
        configuration.Apps.Add(new AppEntry { Name = "Everything else", Upstream = "https://127.0.0.1:9004", Hostnames = ["*.contoso.local"] });
        configuration.Apps[0].Hostnames.Add("MOS.contoso.local");

        Assert.Empty(ConfigurationValidator.Validate(configuration));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("X-Casb-User")]
    [InlineData("X-Signed-In-User")]
    [InlineData("x-ms-client-principal-name")]
    [InlineData("Remote-User")]
    [InlineData("X_Auth_User")]
    public void Identity_headers_of_your_own_pass(string? header)
    {
        Assert.Null(ConfigurationValidator.IdentityHeaderProblem(header));
        CasbConfiguration configuration = Seed();
        configuration.Settings.IdentityHeader = header!;
        Assert.Empty(ConfigurationValidator.Validate(configuration));
    }

    [Theory]
    [InlineData("User-Agent")]
    [InlineData("HOST")]
    [InlineData("Cookie")]
    [InlineData("Authorization")]
    [InlineData("Proxy-Authorization")]
    [InlineData("Accept")]
    [InlineData("Accept-Language")]
    [InlineData("Content-Type")]
    [InlineData("content-length")]
    [InlineData("Connection")]
    [InlineData("Keep-Alive")]
    [InlineData("Transfer-Encoding")]
    [InlineData("TE")]
    [InlineData("Upgrade")]
    [InlineData("If-None-Match")]
    [InlineData("Sec-Fetch-User")]
    [InlineData("Origin")]
    [InlineData("Referer")]
    [InlineData("X-Forwarded-For")]
    [InlineData("X-Forwarded-User")]
    [InlineData("Forwarded")]
    [InlineData("X-Real-IP")]
    [InlineData("traceparent")]
    [InlineData("Client-Cert")]
    [InlineData("X-SSL-Client-S-DN")]
    [InlineData(":authority")]
    [InlineData(" X-User")]
    [InlineData("X-User:")]
    [InlineData("X-User\u001b[2J")]
    [InlineData("X-Üser")]
    public void Headers_with_a_meaning_or_not_a_token_are_refused(string header)
    {
        Assert.NotNull(ConfigurationValidator.IdentityHeaderProblem(header));
        CasbConfiguration configuration = Seed();
        configuration.Settings.IdentityHeader = header;
        ConfigurationProblem problem = Assert.Single(ConfigurationValidator.Validate(configuration));
        Assert.Equal("InvalidIdentityHeader", problem.ErrorId);
    }

    [Fact]
    public void Every_header_the_gateway_strips_or_sets_is_refused_as_the_identity_header()
    {
        // Names from the gateway's own strip list and the headers it sets, in any casing and with any suffix
        // after a stripped prefix: whatever the gateway removes (other than its own X-Casb-*) cannot carry the user.
        string[] known =
        {
            "Client-Cert", "Client-Cert-Chain", "X-Client-Cert", "X-Client-Certificate", "X-Forwarded-Client-Cert", "X-ARR-ClientCert",
            "X-ARR-SSL", "SSL-Client-Cert", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix", "X-Real-IP",
            "Forwarded", "Host", "User-Agent", "Accept", "Cookie", "Authorization", "Connection", "Transfer-Encoding",
        };
        Gen<string> names = Gen.Frequency(
            (3, Gen.OneOf(known)),
            (2, Gen.Select(Gen.OneOf("X-SSL-", "X-Forwarded-", "Accept-", "Content-", "Sec-", "If-", "Proxy-"), Chars("abcXYZ-09", 1, 12), (p, s) => p + s)),
            (1, Chars("abcdefXYZ-_", 1, 16)));
        Gen<string> recased = Gen.Select(names, Gen.Bool.Array[64], (name, upper) =>
            string.Concat(name.Select((c, i) => upper[i % 64] ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c))));

        recased.Sample(name =>
        {
            bool stripped = CasbGateway.Enforcement.ForgeableHeaders.IsForgeable(name, null) && !name.StartsWith("X-Casb-", StringComparison.OrdinalIgnoreCase);
            bool isKnown = Array.Exists(known, k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
            if (stripped || isKnown)
            {
                Assert.True(ConfigurationValidator.IdentityHeaderProblem(name) is not null, name);
            }
        });
    }

    [Fact]
    public void A_header_name_with_any_character_outside_the_token_set_is_refused()
    {
        const string tchar = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        Gen.Select(Chars("XUser-", 0, 8), Gen.Char.Where(c => !tchar.Contains(c)), Chars("XUser-", 0, 8), (a, bad, b) => "X" + a + bad + b)
            .Sample(name => Assert.NotNull(ConfigurationValidator.IdentityHeaderProblem(name)));
    }

    private static Gen<string> Chars(string set, int min, int max) => Gen.Char[set].Array[min, max].Select(chars => new string(chars));
}
