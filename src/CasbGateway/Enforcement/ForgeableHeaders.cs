using System.Collections.Frozen;
using System.Reflection;
using Microsoft.Net.Http.Headers;

namespace CasbGateway.Enforcement;

/// <summary>
/// The rule for inbound headers a client could use to forge what a proxy in front of an app vouches for: the
/// client's address or scheme, the URL it asked for, the method it used, its TLS client certificate, or a signed-in identity.
/// Matched by family and pattern rather than by a list of names, because every proxy (Envoy, nginx, Apache,
/// IIS/ARR, Traefik, F5, Azure App Service, AWS ALB, Cloudflare, ...) has its own spelling, and the apps behind
/// the gateway may trust any of them. Names compare case-insensitively with '_' as '-', as servers that map
/// headers to CGI variables do (SSL_CLIENT_CERT and Ssl-Client-Cert become the same variable).
/// </summary>
internal static class ForgeableHeaders
{
    // Whole names (normalized: lower case, '_' as '-').
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        // The client's address.
        "forwarded", "x-forwarded", "x-real-ip", "true-client-ip", "client-ip", "x-client-ip", "x-cluster-client-ip",
        "cf-connecting-ip", "cf-connecting-ipv6", "fastly-client-ip", "x-originating-ip", "proxy-client-ip", "wl-proxy-client-ip",
        // The scheme or URL the client asked for: routing overrides.
        "front-end-https", "x-url-scheme", "x-scheme", "x-host", "x-rewrite-url", "x-override-url", "x-http-destinationurl",
        "x-proxy-url", "x-http-host-override",
        // The method the app acts on: frameworks that honour these turn a GET the gateway decided into the PUT or POST
        // (an upload) it would have controlled, or a POST into a DELETE.
        "x-http-method-override", "x-http-method", "x-method-override",
        // A signed-in user as sign-in proxies hand it to the app: the generic names of nginx auth_request set-ups, Kong's
        // OpenID Connect plugin (X-Userinfo and X-Id-Token are unsigned base64 JSON), Kong's consumer.
        "x-user", "x-email", "x-preferred-username", "x-userinfo", "x-id-token", "x-credential-identifier",
    };

    private static readonly string[] Prefixes =
    {
        "x-forwarded-",            // X-Forwarded-For/-Proto/-Host/-Port/-Prefix/-Ssl/-Scheme/-Uri/-Tls-Client-Cert (Traefik), -User, -Email...
        "x-original-",             // X-Original-URL, -Host, -Forwarded-For (IIS, nginx ingress)
        "x-casb-",                 // this gateway's own namespace
        "x-ssl-", "ssl-",          // nginx $ssl_client_*, Apache SSL_* (mod_ssl), F5
        "x-arr-",                  // IIS Application Request Routing
        "x-ms-client-principal",   // Azure App Service authentication
        "x-ms-token-",
        "x-amzn-mtls-", "x-amzn-oidc-", // AWS ALB mTLS and authentication
        "cf-client-cert", "cf-access-", // Cloudflare mTLS and Access
        "x-envoy-",                // Envoy's own (x-envoy-external-address, x-envoy-original-path...)
        "x-goog-authenticated-user-", "x-goog-iap-", // Google IAP
        "x-auth-request-",         // oauth2-proxy
        "x-authenticated-",
        "remote-", "x-remote-",    // Remote-User/-Email/-Groups (Authelia and others), X-Remote-User, X-Remote-Addr
        // Sign-in proxies the gateway's own sign-in stands in for: an app moved from behind one still reads its names.
        "x-pomerium-",             // Pomerium: X-Pomerium-Claim-Email, X-Pomerium-Jwt-Assertion
        "x-vouch-",                // Vouch Proxy: X-Vouch-User, X-Vouch-IdP-Claims-*
        "oidc-",                   // Apache mod_auth_openidc: OIDC_CLAIM_*, OIDC_id_token_payload, OIDC_access_token
        "x-webauth-",              // Grafana's auth proxy (X-WEBAUTH-USER) and the apps that copy it
        "x-consumer-",             // Kong: X-Consumer-Username, -Custom-Id
        "tailscale-user-",         // Tailscale Serve: Tailscale-User-Login, -Name
        "x-auth-user", "x-auth-email", "x-auth-subject", "x-auth-roles", "x-auth-groups", // Keycloak Gatekeeper / Louketo (not X-Auth-Token: a client's own credential elsewhere)
    };

    // A name with one of these words in it is about the client's TLS session or a vouched-for identity:
    // X-Client-Verify, X-Tls-Client-Cert, X-Mtls-Subject, SSLClientCert, X-MS-CLIENT-PRINCIPAL-NAME...
    private static readonly HashSet<string> Words = new(StringComparer.Ordinal)
    {
        "ssl", "tls", "mtls", "cert", "certs", "certificate", "certificates", "certchain", "x509", "principal", "verify", "verified",
        // A vouched-for sign-in: X-Jwt-Assertion (WSO2), Teleport-Jwt-Assertion, X-Pomerium-Claim-*, X-Amzn-Oidc-Claims...
        "assertion", "claim", "claims", "userinfo",
    };

    private static readonly string[] WordPrefixes = { "ssl", "tls", "mtls" };

    private static readonly string[] WordParts = { "clientcert", "clientverify", "principal" };

    // "client" followed by one of these: X-Client-DN, X-Client-S-DN, X-Client-I-DN, X-Client-Serial, X-Client-Fingerprint...
    private static readonly HashSet<string> ClientCertificateWords = new(StringComparer.Ordinal)
    {
        "dn", "s", "i", "sdn", "idn", "subject", "issuer", "serial", "fingerprint", "thumbprint", "san", "escaped", "pem", "der", "chain",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> NameLookup = Names.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> WordLookup = Words.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> ClientCertificateWordLookup =
        ClientCertificateWords.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// The standard header names (ASP.NET Core's <see cref="HeaderNames"/>, as spelled there and in HTTP/2's lower case)
    /// that the rule below lets through, worked out by that rule once at start. Kestrel names every header it knows with
    /// the one <see cref="HeaderNames"/> string whatever the client's spelling, so the headers of almost every request are
    /// answered by one exact (ordinal) lookup instead of the rule's normalizing and word splitting; any other spelling
    /// or name goes through the rule. Built from the rule, so it cannot let through a name the rule strips.
    /// </summary>
    internal static readonly FrozenSet<string> KnownOrdinary = typeof(HeaderNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(string))
        .Select(f => (string)f.GetValue(null)!)
        .SelectMany(n => new[] { n, n.ToLowerInvariant() })
        .Where(n => !IsForgeableByRule(n, null))
        .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>True when <paramref name="name"/> must not reach the engine or an upstream from a client.</summary>
    /// <param name="name">The inbound header's name.</param>
    /// <param name="identityHeader">The configured identity header, honoured only from a trusted proxy and stripped after.</param>
    public static bool IsForgeable(string name, string? identityHeader)
    {
        // The identity header is stripped even when an admin named it like a standard header.
        if (KnownOrdinary.Contains(name) && (identityHeader is null || !SameName(name, identityHeader)))
        {
            return false;
        }

        return IsForgeableByRule(name, identityHeader);
    }

    /// <summary>The rule itself, for every name (<see cref="IsForgeable"/> answers the standard names from <see cref="KnownOrdinary"/>).</summary>
    internal static bool IsForgeableByRule(string name, string? identityHeader)
    {
        // Every inbound header of every request comes through here: normalized on the stack, never allocated.
        Span<char> buffer = name.Length <= 256 ? stackalloc char[name.Length] : new char[name.Length];
        ReadOnlySpan<char> normalized = Normalize(name, buffer);
        if (identityHeader is not null && SameName(normalized, identityHeader))
        {
            return true;
        }

        if (NameLookup.Contains(normalized))
        {
            return true;
        }

        foreach (string prefix in Prefixes)
        {
            if (normalized.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        // The '-'-separated words, empty ones skipped, as the CGI-style spelling would give them.
        bool afterClient = false;
        foreach (Range range in normalized.Split('-'))
        {
            ReadOnlySpan<char> word = normalized[range];
            if (word.IsEmpty)
            {
                continue;
            }

            if (WordLookup.Contains(word))
            {
                return true;
            }

            foreach (string prefix in WordPrefixes)
            {
                if (word.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            foreach (string part in WordParts)
            {
                if (word.Contains(part, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            if (afterClient && ClientCertificateWordLookup.Contains(word))
            {
                return true;
            }

            afterClient = word.SequenceEqual("client");
        }

        return false;
    }

    /// <summary>Lower case, '_' as '-': the form a CGI-mapping server gives both spellings.</summary>
    private static ReadOnlySpan<char> Normalize(string name, Span<char> buffer)
    {
        name.AsSpan().ToLowerInvariant(buffer);
        buffer.Replace('_', '-');
        return buffer;
    }

    private static bool SameName(string name, string identityHeader)
    {
        // Normalizing keeps the length: a name of another length is not the identity header (most standard names).
        if (name.Length != identityHeader.Length)
        {
            return false;
        }

        Span<char> buffer = name.Length <= 256 ? stackalloc char[name.Length] : new char[name.Length];
        return SameName(Normalize(name, buffer), identityHeader);
    }

    private static bool SameName(ReadOnlySpan<char> normalized, string other)
    {
        if (other.Length != normalized.Length)
        {
            return false;
        }

        for (int i = 0; i < other.Length; i++)
        {
            char c = char.ToLowerInvariant(other[i]);
            if ((c == '_' ? '-' : c) != normalized[i])
            {
                return false;
            }
        }

        return true;
    }
}
