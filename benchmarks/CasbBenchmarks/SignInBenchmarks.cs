using System.Net;
using BenchmarkDotNet.Attributes;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbBenchmarks;

/// <summary>
/// What sign-in costs a request: the reserved-prefix check every request makes, and one decision for an app without
/// sign-in in a store with and without an identity provider (the two must not differ), against a signed-in decision.
/// </summary>
[MemoryDiagnoser]
public class SignInBenchmarks
{
    private const string Edge =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";

    private CompiledPolicySet _withoutProvider = null!;
    private CompiledPolicySet _withProvider = null!;
    private AccessRequest _noneApp = null!;
    private AccessRequest _signedIn = null!;
    private CertificateValidationResult _valid = null!;

    [GlobalSetup]
    public void Setup()
    {
        DateTimeOffset at = DateTimeOffset.UtcNow;
        _valid = new CertificateValidationResult
        {
            IsValid = true, Subject = "CN=Vendor Device", Issuer = "CN=Lab CA", Thumbprint = "00112233445566778899AABBCCDDEEFF00112233",
            Principal = "vendor@contoso.com", ValidatedAt = at, DeviceTags = [DeviceTags.ValidClientCertificate],
        };
        _withoutProvider = CompiledPolicySet.Compile(Configuration(provider: false));
        _withProvider = CompiledPolicySet.Compile(Configuration(provider: true));
        _noneApp = new AccessRequest { Host = "mail.contoso.local", Path = "/inbox", UserAgent = Edge, ClientAddress = IPAddress.Parse("192.0.2.4"), At = at };
        _signedIn = new AccessRequest
        {
            Host = "portal.contoso.local", Path = "/inbox", UserAgent = Edge, ClientAddress = IPAddress.Parse("192.0.2.4"), At = at,
            SignInClaims = [new("preferred_username", "vendor@contoso.com"), new("groups", "Vendors"), new("groups", "Staff")],
        };
    }

    [Benchmark]
    public bool ReservedCheck_OrdinaryPath() => CasbGateway.SignIn.SignInPaths.IsReserved("/mail/inbox/2026/11");

    [Benchmark]
    public bool ReservedCheck_EscapedPath() => CasbGateway.SignIn.SignInPaths.IsReserved("/docs/annual%20report.pdf");

    [Benchmark(Baseline = true)]
    public AccessAction Decide_AppWithoutSignIn_NoIdentityProvider() => _withoutProvider.Decide(_noneApp, _valid).Action;

    [Benchmark]
    public AccessAction Decide_AppWithoutSignIn_IdentityProviderConfigured() => _withProvider.Decide(_noneApp, _valid).Action;

    [Benchmark]
    public AccessAction Decide_SignedIn() => _withProvider.Decide(_signedIn, _valid).Action;

    private static CasbConfiguration Configuration(bool provider)
    {
        var configuration = new CasbConfiguration
        {
            Apps =
            [
                new AppEntry { Name = "Mail", Upstream = "http://127.0.0.1:1", Hostnames = ["mail.contoso.local"] },
                new AppEntry { Name = "Portal", Upstream = "http://127.0.0.1:2", Hostnames = ["portal.contoso.local"], SignIn = provider ? SignInMode.Required : SignInMode.None },
            ],
            Groups = [new GroupEntry { Name = "Vendors", Members = ["other@contoso.com"] }],
            ConditionalAccessPolicies =
            [
                new ConditionalAccessPolicyEntry { Name = "All via App Control", IncludeUsers = ["All"], SessionControl = SessionControlKind.AppControl },
            ],
            AccessPolicies =
            [
                new AccessPolicyEntry
                {
                    Name = "Require certificate", Action = AccessPolicyAction.Block, DeviceTags = [DeviceTags.ValidClientCertificate],
                    DeviceTagOperator = FilterOperator.DoesNotEqual,
                },
                new AccessPolicyEntry { Name = "Vendors monitored", Action = AccessPolicyAction.Test, Groups = ["Vendors"] },
            ],
        };
        if (provider)
        {
            configuration.IdentityProvider = new IdentityProviderEntry
            {
                Name = "Entra ID", Id = "1", Authority = "https://login.example/t/v2.0", ClientId = "gateway", ClientSecretId = "s",
            };
        }

        return configuration;
    }
}
