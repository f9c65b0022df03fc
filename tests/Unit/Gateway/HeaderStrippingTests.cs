using CasbGateway.Enforcement;
using CsCheck;
using Microsoft.AspNetCore.Http;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The rule for forgeable inbound headers, as a list of real proxies' names and as a property over the families:
/// vendor prefixes × family words × suffixes × case × '_' for '-' are all removed, ordinary headers all pass.
/// </summary>
public sealed class HeaderStrippingTests
{
    private const string IdentityHeader = "X-Signed-In-User";

    // Names real proxies set, which apps behind them trust.
    private static readonly string[] KnownForgeable =
    {
        "Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix", "X-Forwarded-Port",
        "X-Forwarded-Ssl", "X-Forwarded-Scheme", "X-Forwarded-Uri", "X-Forwarded-Server", "X-Forwarded-User", "X-Forwarded-Email",
        "X-Forwarded-Tls-Client-Cert", "X-Forwarded-Tls-Client-Cert-Info", "X-Forwarded-Client-Cert", "X-Real-IP", "True-Client-IP",
        "CF-Connecting-IP", "X-Client-IP", "X-Cluster-Client-IP", "X-Original-URL", "X-Original-Host", "X-Original-Forwarded-For",
        "X-Rewrite-URL", "Front-End-Https", "Client-Cert", "Client-Cert-Chain", "X-Client-Cert", "X-Client-Certificate",
        "X-Client-Verify", "X-Client-DN", "X-Client-S-DN", "X-Client-I-DN", "X-SSL-Client-Cert", "X-SSL-Client-Verify",
        "X-SSL-Client-S-DN", "SSL_CLIENT_CERT", "SSL_CLIENT_S_DN", "SSL_CLIENT_VERIFY", "ssl_client_escaped_cert", "SSL-Client-Cert",
        "SSLClientCert", "X-ARR-ClientCert", "X-ARR-SSL", "X-MS-CLIENT-PRINCIPAL", "X-MS-CLIENT-PRINCIPAL-NAME", "X-MS-CLIENT-PRINCIPAL-ID",
        "X-MS-CLIENT-PRINCIPAL-IDP", "X-MS-TOKEN-AAD-ID-TOKEN", "X-Amzn-Mtls-Clientcert", "X-Amzn-Mtls-Clientcert-Leaf",
        "X-Amzn-Mtls-Clientcert-Subject", "X-Amzn-Oidc-Identity", "Cf-Client-Cert-Der-Base64", "Cf-Client-Cert-Sha256",
        "Cf-Access-Authenticated-User-Email", "X-Envoy-External-Address", "X-Goog-Authenticated-User-Email", "X-Auth-Request-Email",
        "Remote-User", "X-Remote-User", "X-Tls-Client-Cert", "X-Mtls-Subject", "WL-Proxy-SSL", "WL-Proxy-Client-IP", "X-Casb-User",
        "X-Casb-Device", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", IdentityHeader,
        // Sign-in proxies' users: an app moved from behind one to the gateway's own sign-in still reads them.
        "X-Pomerium-Claim-Email", "X-Pomerium-Jwt-Assertion", "X-Vouch-User", "X-Vouch-IdP-Claims-Groups", "OIDC_CLAIM_email",
        "OIDC_id_token_payload", "X-WEBAUTH-USER", "X-WEBAUTH-EMAIL", "X-Consumer-Username", "Tailscale-User-Login",
        "Teleport-Jwt-Assertion", "X-Jwt-Assertion", "X-Auth-Email", "X-Auth-Username", "X-Auth-Userid", "X-Auth-Subject",
        "X-Auth-Roles", "X-Auth-Groups", "X-User", "X-Email", "X-Preferred-Username", "X-Userinfo", "X-Id-Token",
        "X-Credential-Identifier", "X-Amzn-Oidc-Data",
    };

    private static readonly string[] Ordinary =
    {
        "Accept", "Accept-Language", "Accept-Encoding", "Cookie", "Authorization", "X-Requested-With", "X-CSRF-Token", "If-None-Match",
        "Cache-Control", "X-Request-Id", "Origin", "Sec-Fetch-Mode", "DNT", "Sec-Fetch-Dest", "X-App-Tenant", "X-Client-Data",
        "X-Client-Id", "Priority", "Traceparent", "X-Auth-Token", "X-Access-Token", "X-User-Agent-Hint", "X-Api-Key",
    };

    // YARP drops Upgrade-Insecure-Requests (hop-by-hop for it): not listed above, since it is not this rule's doing.

    private static readonly Gen<string> ForgeableStem = Gen.OneOf(
        Gen.OneOf(KnownForgeable),
        // A vendor's spelling of a family word: X-Acme-Client-Cert-Subject, Proxy-Tls-Info, X-Principal...
        Gen.Select(
            Gen.OneOf("", "X-", "X-Acme-", "Acme-", "X-Proxy-", "X-Edge-"),
            Gen.OneOf("Ssl", "Tls", "Mtls", "Client-Cert", "ClientCert", "Client-Certificate", "Principal", "Verify", "Client-Verify",
                "Cert-Chain", "Ssl-Client", "Client-S-DN", "Client-Serial", "Certificate", "X509", "Claim", "Claims", "Jwt-Assertion",
                "Userinfo"),
            Gen.OneOf("", "-Subject", "-Info", "-Sha256", "-Der", "-Pem", "-Leaf", "-Name"),
            (prefix, word, suffix) => prefix + word + suffix),
        // Anything in a family's namespace.
        Gen.Select(
            Gen.OneOf("X-Forwarded-", "X-Original-", "X-SSL-", "SSL-", "X-ARR-", "X-MS-Client-Principal-", "X-Amzn-Mtls-", "Cf-Client-Cert-",
                "X-Casb-", "X-Envoy-", "Remote-", "X-Auth-Request-", "X-Pomerium-", "X-Vouch-", "OIDC_", "X-Webauth-", "X-Consumer-",
                "Tailscale-User-"),
            Gen.OneOf("Foo", "Data", "Id", "Value", "Z9", "Url", "Host"),
            (prefix, word) => prefix + word));

    private static readonly Gen<string> OrdinaryStem = Gen.OneOf(
        Gen.OneOf(Ordinary),
        Gen.Select(Gen.OneOf("X-App-", "X-My-", "Acme-"), Gen.OneOf("Tenant", "Theme", "Locale", "Page", "Order", "Region"), (p, w) => p + w));

    [Theory]
    [MemberData(nameof(KnownForgeableNames))]
    public void Every_known_proxy_header_is_forgeable_in_every_spelling(string name)
    {
        Assert.True(ForgeableHeaders.IsForgeable(name, IdentityHeader), name);
        Assert.True(ForgeableHeaders.IsForgeable(name.ToLowerInvariant(), IdentityHeader), name.ToLowerInvariant());
        Assert.True(ForgeableHeaders.IsForgeable(name.ToUpperInvariant().Replace('-', '_'), IdentityHeader), name.ToUpperInvariant().Replace('-', '_'));
    }

    public static TheoryData<string> KnownForgeableNames() => new(KnownForgeable);

    [Fact]
    public void Strip_removes_the_forgeable_and_keeps_the_ordinary()
    {
        var headers = new HeaderDictionary { ["x_forwarded_tls_client_cert"] = "forged", ["Accept"] = "text/html", ["Cookie"] = "a=b" };

        HeaderStrippingMiddleware.Strip(headers, IdentityHeader);

        Assert.False(headers.ContainsKey("x_forwarded_tls_client_cert"));
        Assert.Equal("text/html", headers["Accept"]);
        Assert.Equal("a=b", headers["Cookie"]);
    }

    [Fact]
    public void Property_every_spelling_of_every_family_is_forgeable_and_no_ordinary_header_is()
    {
        Spelled(ForgeableStem).Sample(name => Assert.True(ForgeableHeaders.IsForgeable(name, IdentityHeader), name), iter: 20_000);
        Spelled(OrdinaryStem).Sample(name => Assert.False(ForgeableHeaders.IsForgeable(name, IdentityHeader), name), iter: 20_000);
    }

    [Fact]
    public async Task Property_no_forgeable_header_reaches_a_recording_upstream_and_every_ordinary_one_does()
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c => c.Settings.IdentityHeader = IdentityHeader);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient client = harness.CreateClient();
        int requestNumber = 0;
        var sample = Gen.Select(Spelled(ForgeableStem).Array[1, 12], Spelled(OrdinaryStem).Array[1, 6]);

        await sample.SampleAsync(
            async (forged, ordinary) =>
            {
                string path = $"/fuzz/{Interlocked.Increment(ref requestNumber)}";
                using var message = new HttpRequestMessage(HttpMethod.Get, path);
                var sent = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (string name in forged)
                {
                    sent.TryAdd(name, "forged-" + sent.Count);
                }

                foreach (string name in ordinary)
                {
                    sent.TryAdd(name, "ordinary-" + sent.Count);
                }

                foreach ((string name, string value) in sent)
                {
                    Assert.True(message.Headers.TryAddWithoutValidation(name, value), name);
                }

                using HttpResponseMessage response = await client.SendAsync(message);
                Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);

                KeyValuePair<string, string>[] arrived = harness.UpstreamHeaders[path];
                Assert.DoesNotContain(arrived, h => h.Value.Contains("forged-", StringComparison.Ordinal));
                foreach ((string name, string value) in sent.Where(s => s.Value.StartsWith("ordinary-", StringComparison.Ordinal)))
                {
                    Assert.Contains(arrived, h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase) && h.Value.Contains(value, StringComparison.Ordinal));
                }
            },
            iter: 150,
            threads: 1);
    }

    [Fact]
    public void The_standard_names_looked_up_first_are_answered_exactly_as_the_rule_answers_them()
    {
        // The lookup is used at all: what Kestrel names the headers of an ordinary request (HTTP/1.1 and HTTP/2 spelling).
        foreach (string name in new[] { "Host", "User-Agent", "Accept", "Connection", "Cookie", "accept-encoding", "user-agent" })
        {
            Assert.True(ForgeableHeaders.KnownOrdinary.Contains(name), name);
        }

        foreach (string name in ForgeableHeaders.KnownOrdinary)
        {
            Assert.False(ForgeableHeaders.IsForgeableByRule(name, null), name);
        }

        // Every spelling of standard, ordinary and forgeable names, with no identity header, the usual one, or one an
        // admin named like a standard header: the lookup never answers differently from the rule.
        Gen<string> standard = Gen.OneOf(ForgeableHeaders.KnownOrdinary.ToArray());
        Gen<string?> identity = Gen.OneOf<string?>(null, IdentityHeader, "Accept", "user-agent", "X-Forwarded-User", "FROM");
        Gen.Select(Gen.OneOf(standard, Spelled(standard), Spelled(OrdinaryStem), Spelled(ForgeableStem), Gen.String[1, 30]), identity)
            .Sample((name, identityHeader) =>
                Assert.Equal(ForgeableHeaders.IsForgeableByRule(name, identityHeader), ForgeableHeaders.IsForgeable(name, identityHeader)),
                iter: 50_000);
    }

    [Theory]
    [InlineData("Accept")]
    [InlineData("User-Agent")]
    [InlineData("From")]
    public void An_identity_header_named_like_a_standard_header_is_still_stripped(string identityHeader)
    {
        var headers = new HeaderDictionary { [identityHeader] = "forged@contoso.com", ["Cookie"] = "a=b" };

        HeaderStrippingMiddleware.Strip(headers, identityHeader.ToUpperInvariant());

        Assert.False(headers.ContainsKey(identityHeader));
        Assert.Equal("a=b", headers["Cookie"]);
    }

    /// <summary>
    /// A forwarded entry as proxies write it (any address; an IPv4 one bare or with a port, an IPv6 one bare or in brackets
    /// with or without a port; spaces around) reads as that address; with anything else in it, as no address.
    /// </summary>
    [Fact]
    public void Property_a_forwarded_entry_reads_as_its_address_with_or_without_a_port_and_anything_else_as_none()
    {
        Gen<System.Net.IPAddress> addresses = Gen.OneOf(
            Gen.Byte.Array[4].Select(b => new System.Net.IPAddress(b)),
            Gen.Byte.Array[16].Select(b => new System.Net.IPAddress(b)));
        Gen.Select(addresses, Gen.Int[0, 3], Gen.Int[0, 65535], Gen.OneOf("", " ", "\t "))
            .Sample((address, form, port, space) =>
            {
                bool v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
                string text = form switch
                {
                    0 => address.ToString(),
                    1 => v6 ? $"[{address}]" : $"{address}:{port}",
                    _ => v6 ? $"[{address}]:{port}" : address.ToString(),
                };
                Assert.Equal(address, HeaderStrippingMiddleware.ForwardedAddress(space + text + space));
            }, iter: 20_000);

        Gen.Select(addresses, Gen.OneOf(":", ":x", ":123456", ":65536", ":99999", "x", "]", ":80:80", "/24", "%", " 1"))
            .Sample((address, junk) =>
            {
                bool v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
                Assert.Null(HeaderStrippingMiddleware.ForwardedAddress((v6 ? $"[{address}]" : address.ToString()) + junk));
            }, iter: 5_000);
    }

    /// <summary>
    /// A Forwarded header's right-most element reads as its for= address in every form RFC 7239 allows (a token, a quoted
    /// string with a port or brackets, any case of "for", other pairs around it, elements before it).
    /// </summary>
    [Fact]
    public void Property_a_forwarded_header_reads_as_its_last_element_s_for_address()
    {
        Gen<System.Net.IPAddress> addresses = Gen.OneOf(
            Gen.Byte.Array[4].Select(b => new System.Net.IPAddress(b)),
            Gen.Byte.Array[16].Select(b => new System.Net.IPAddress(b)));
        Gen.Select(addresses, Gen.Int[0, 65535], Gen.OneOf("for", "FOR", "For"), Gen.OneOf("", "by=_a;", "proto=https; "),
                Gen.OneOf("", ";host=\"a,b\"", "; proto=http"), Gen.OneOf("", "for=10.0.0.1, ", "for=\"[::1]\";by=\"x,y\", "))
            .Sample((address, port, name, before, after, earlier) =>
            {
                bool v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
                string value = v6 ? $"\"[{address}]:{port}\"" : port % 2 == 0 ? address.ToString() : $"\"{address}:{port}\"";
                string forwarded = $"{earlier}{before}{name}={value}{after}";
                Assert.True(Equals(address, HeaderStrippingMiddleware.LastForwardedFor(forwarded)), forwarded);
            }, iter: 20_000);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("")]
    [InlineData("_hidden")]
    [InlineData("203.7")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("2130706433")]
    [InlineData(":443")]
    [InlineData("[203.0.113.7]")]
    [InlineData("[2001:db8::1")]
    public void A_forwarded_entry_that_is_no_address_as_a_proxy_writes_one_reads_as_none(string entry)
    {
        Assert.Null(HeaderStrippingMiddleware.ForwardedAddress(entry));
    }

    // Every letter in either case, every '-' as '-' or '_': the spellings a CGI-mapping server treats as one variable.
    private static Gen<string> Spelled(Gen<string> stems) =>
        Gen.Select(stems, Gen.Bool.Array[64], Gen.Bool.Array[64], (stem, upper, underscore) =>
        {
            char[] chars = stem.ToCharArray();
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = chars[i] == '-' && underscore[i % 64] ? '_'
                    : upper[i % 64] ? char.ToUpperInvariant(chars[i]) : char.ToLowerInvariant(chars[i]);
            }

            return new string(chars);
        });
}
