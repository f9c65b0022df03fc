using System.Net;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbModule.Tests.Policies;

/// <summary>
/// The benchmarks' configuration (benchmarks/CasbBenchmarks/DecisionBenchmarks.cs): 20 apps, 20 groups of 50, an
/// App Control policy for everyone but one group, a report-only legacy block, and N access policies mixing every
/// filter; with its allowed request (Edge, a valid certificate of a user whose groups' policies exclude them, so
/// they are evaluated and none matches) and its blocked one (Edge without a certificate, to an app with a
/// certificate-required policy).
/// </summary>
internal static class ScaleConfiguration
{
    public static readonly DateTimeOffset At = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    // Self-contained: the benchmarks compile this file too.
    private const string Edge =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";

    public static CertificateValidationResult ValidCertificate { get; } = new()
    {
        IsValid = true,
        Subject = "CN=Vendor Device, O=Fabrikam",
        Issuer = "CN=Casb Lab Issuing CA, O=Casb Lab",
        Thumbprint = "00112233445566778899AABBCCDDEEFF00112233",
        Principal = "user17@contoso.com",
        ValidatedAt = At,
        DeviceTags = [DeviceTags.ValidClientCertificate],
    };

    /// <summary>As the gateway builds it: the Host header's host without the port, the path, the peer as client address.</summary>
    public static AccessRequest AllowedRequest { get; } = new()
    {
        Host = "app3.contoso.local",
        Path = "/mail/inbox",
        UserAgent = Edge,
        RemoteAddress = IPAddress.Parse("192.0.2.44"),
        ClientAddress = IPAddress.Parse("192.0.2.44"),
        At = At,
        CorrelationId = "scale-allowed",
    };

    public static AccessRequest BlockedRequest { get; } = new()
    {
        Host = "app0.contoso.local",
        Path = "/mail/inbox",
        UserAgent = Edge,
        RemoteAddress = IPAddress.Parse("2001:db8:77::5"),
        ClientAddress = IPAddress.Parse("2001:db8:77::5"),
        At = At,
        CorrelationId = "scale-blocked",
    };

    public static CasbConfiguration Create(int policyCount)
    {
        var configuration = new CasbConfiguration { Revision = 1 };
        configuration.Settings.TrustedProxies = ["10.0.0.5", "fd00::/64"];
        for (int a = 0; a < 20; a++)
        {
            configuration.Apps.Add(new AppEntry
            {
                Name = $"App {a}",
                Upstream = $"https://127.0.0.1:{9000 + a}",
                Hostnames = [$"app{a}.contoso.local", $"*.app{a}.contoso.local"],
                PathPrefix = a % 4 == 0 ? "/" : "/mail",
            });
        }

        for (int g = 0; g < 20; g++)
        {
            configuration.Groups.Add(new GroupEntry
            {
                Name = $"Group {g}",
                Members = Enumerable.Range(0, 50).Select(u => $"user{(g * 7) + u}@contoso.com").ToList(),
            });
        }

        configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Route to App Control",
            IncludeUsers = ["All"],
            ExcludeGroups = ["Group 19"],
            SessionControl = SessionControlKind.AppControl,
            AppControlMode = AppControlMode.UseCustomPolicy,
        });
        configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Block legacy (report-only)",
            State = ConditionalAccessState.ReportOnly,
            IncludeUsers = ["All"],
            ClientAppTypes = [ClientAppType.MobileAndDesktop],
            Grant = GrantControl.Block,
        });

        for (int p = 0; p < policyCount; p++)
        {
            var policy = new AccessPolicyEntry
            {
                Name = $"Policy {p:D4}",
                Action = p % 3 == 0 ? AccessPolicyAction.Block : AccessPolicyAction.Test,
                BlockMessage = p % 3 == 0 ? $"Blocked by policy {p}." : null,
                Severity = (PolicySeverity)(p % 3),
                Enabled = p % 10 != 9,
                ClientApp = p % 5 == 0 ? AccessPolicyClientApp.Any : AccessPolicyClientApp.Browser,
            };
            if (p % 2 == 0)
            {
                policy.Apps = [$"App {p % 20}"];
            }

            switch (p % 6)
            {
                case 0:
                    policy.DeviceTags = [DeviceTags.ValidClientCertificate];
                    policy.DeviceTagOperator = FilterOperator.DoesNotEqual;
                    break;
                case 1:
                    policy.Groups = [$"Group {p % 20}"];
                    policy.ExcludeUsers = ["user17@contoso.com"];
                    break;
                case 2:
                    policy.IPRanges = ["10.0.0.0/8", "172.16.0.0/12", "2001:db8:1::/48"];
                    policy.IPRangeOperator = p % 4 == 0 ? IPRangeOperator.In : IPRangeOperator.NotIn;
                    break;
                case 3:
                    policy.UserAgentContains = ["Firefox", "curl"];
                    break;
                case 4:
                    policy.Users = [$"user{p % 200}@contoso.com", $"user{(p + 1) % 200}@contoso.com"];
                    break;
                default:
                    policy.ExcludeGroups = [$"Group {p % 20}"];
                    policy.IPRanges = [$"198.51.{p % 256}.0/24"];
                    break;
            }

            configuration.AccessPolicies.Add(policy);
        }

        return configuration;
    }
}
