using System.Net;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbModule.Tests.Policies;

/// <summary>Builds configurations, requests and certificate results for the engine's table tests.</summary>
internal static class PolicyTestData
{
    public const string Edge =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";

    public const string Curl = "curl/8.5.0";

    public static readonly DateTimeOffset At = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    public static CertificateValidationResult ValidCertificate(string principal = "vendor@contoso.com") => new()
    {
        IsValid = true,
        Subject = "CN=Vendor Device, O=Fabrikam",
        Issuer = "CN=Casb Lab Issuing CA, O=Casb Lab",
        Thumbprint = "00112233445566778899AABBCCDDEEFF00112233",
        Principal = principal,
        ValidatedAt = At,
        DeviceTags = [DeviceTags.ValidClientCertificate],
    };

    public static CertificateValidationResult ExpiredCertificate(string principal = "expired@contoso.com") => new()
    {
        IsValid = false,
        Subject = "CN=Expired Device, O=Fabrikam",
        Issuer = "CN=Casb Lab Issuing CA, O=Casb Lab",
        Thumbprint = "FFEEDDCCBBAA99887766554433221100FFEEDDCC",
        Principal = principal,
        ValidatedAt = At,
        Failures = [new CertificateFailure(CertificateFailureReason.Expired, "The certificate expired.")],
    };

    public static CertificateValidationResult NoCertificate => CertificateValidationResult.None(At);

    /// <summary>Two apps, a vendors group, one App Control CA policy for everyone, and the seed's access policy.</summary>
    public static CasbConfiguration Seed(DefaultAction defaultAction = DefaultAction.Allow) => new()
    {
        Revision = 7,
        Settings = new GatewaySettings { DefaultAction = defaultAction, TrustedProxies = ["10.0.0.5", "fd00::/64"] },
        Apps =
        [
            new AppEntry { Name = "Microsoft Online Services", Upstream = "https://127.0.0.1:9001", Hostnames = ["mos.contoso.local"] },
            new AppEntry { Name = "Azure Portal", Upstream = "https://127.0.0.1:9002", Hostnames = ["portal.contoso.local"] },
        ],
        Groups = [new GroupEntry { Name = "Vendors", Members = ["vendor@contoso.com", "Other@Contoso.com"] }],
        ConditionalAccessPolicies =
        [
            new ConditionalAccessPolicyEntry
            {
                Name = "Route to App Control",
                IncludeUsers = ["All"],
                SessionControl = SessionControlKind.AppControl,
                AppControlMode = AppControlMode.UseCustomPolicy,
            },
        ],
        AccessPolicies =
        [
            new AccessPolicyEntry
            {
                Name = "Require certificate",
                Apps = ["Microsoft Online Services"],
                DeviceTags = ["Valid client certificate"],
                DeviceTagOperator = FilterOperator.DoesNotEqual,
                Action = AccessPolicyAction.Block,
                BlockMessage = "Use a company device.",
            },
        ],
    };

    public static AccessRequest Request(
        string app = "Microsoft Online Services",
        string? user = null,
        string? userAgent = Edge,
        string? clientAddress = "192.0.2.10") => new()
    {
        AppName = app,
        User = user,
        UserAgent = userAgent,
        ClientAddress = clientAddress is null ? null : IPAddress.Parse(clientAddress),
        At = At,
    };

    public static AccessDecision Decide(CasbConfiguration configuration, AccessRequest request, CertificateValidationResult? certificate = null) =>
        CompiledPolicySet.Compile(configuration).Decide(request, certificate ?? NoCertificate);
}
