using System.Net;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbModule.Tests.Policies;

/// <summary>
/// The store of the network benchmark's gateway targets (New-GatewayStore in benchmarks/Invoke-GatewayBenchmark.ps1:
/// keep the two in step): the seed's app with App Control for everyone and "Require certificate", 20 groups of 50, 10
/// more apps, and N enabled access policies in the script's mix, half on the benchmarked app and half on every app;
/// with the benchmark's request (the lab's vendor certificate, Edge, from 127.0.0.1), which none of them matches.
/// Unlike <see cref="ScaleConfiguration"/> (the decision benchmark's), a sixth of these policies filter on a device tag
/// with DoesNotEqual, the shape of "Require certificate".
/// </summary>
internal static class NetworkBenchmarkConfiguration
{
    public const string AppName = "Microsoft Online Services";

    private const string Edge = PolicyTestData.Edge;

    public static readonly DateTimeOffset At = new(2026, 11, 30, 4, 0, 0, TimeSpan.Zero);

    public static CertificateValidationResult VendorCertificate { get; } = new()
    {
        IsValid = true,
        Subject = "CN=Vendor Device, O=Fabrikam",
        Issuer = "CN=Casb Lab Issuing CA, O=Casb Lab",
        Thumbprint = "912734EC7974578D40AA2897B4F4C50999C81BF6",
        Principal = "vendor@contoso.com",
        ValidatedAt = At,
        DeviceTags = [DeviceTags.ValidClientCertificate],
    };

    /// <summary>As the gateway builds it for ab's and h2load's requests.</summary>
    public static AccessRequest Request { get; } = new()
    {
        Host = "127.0.0.1",
        Path = "/",
        UserAgent = Edge,
        RemoteAddress = IPAddress.Loopback,
        ClientAddress = IPAddress.Loopback,
        At = At,
        CorrelationId = "network-benchmark",
    };

    public static CasbConfiguration Create(int extraPolicies)
    {
        var configuration = new CasbConfiguration { Revision = 1 };
        configuration.Settings.ActivityVolume = ActivityVolume.Full;
        configuration.Apps.Add(new AppEntry { Name = AppName, Upstream = "http://127.0.0.1:8080", Hostnames = ["localhost", "127.0.0.1"] });
        configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Vendors via App Control",
            IncludeUsers = ["All"],
            Apps = [AppName],
            SessionControl = SessionControlKind.AppControl,
        });
        configuration.AccessPolicies.Add(new AccessPolicyEntry
        {
            Name = "Require certificate",
            Apps = [AppName],
            DeviceTags = [DeviceTags.ValidClientCertificate],
            DeviceTagOperator = FilterOperator.DoesNotEqual,
            Action = AccessPolicyAction.Block,
            BlockMessage = "Use a company device.",
        });
        for (int g = 0; g < 20; g++)
        {
            configuration.Groups.Add(new GroupEntry
            {
                Name = $"Group {g}",
                Members = Enumerable.Range(0, 50).Select(u => $"user{(g * 7) + u}@contoso.com").ToList(),
            });
        }

        for (int a = 0; a < 10; a++)
        {
            configuration.Apps.Add(new AppEntry { Name = $"Other app {a}", Upstream = "http://127.0.0.1:8080", Hostnames = [$"app{a}.contoso.local"] });
        }

        for (int p = 0; p < extraPolicies; p++)
        {
            var policy = new AccessPolicyEntry
            {
                Name = $"Policy {p:D4}",
                Action = p % 3 == 0 ? AccessPolicyAction.Block : AccessPolicyAction.Test,
                BlockMessage = p % 3 == 0 ? $"Blocked by policy {p}." : null,
                ClientApp = p % 5 == 0 ? AccessPolicyClientApp.Any : AccessPolicyClientApp.Browser,
                Severity = (PolicySeverity)(p % 3),
            };
            switch (p % 6)
            {
                case 0:
                    policy.DeviceTags = [DeviceTags.ValidClientCertificate];
                    policy.DeviceTagOperator = FilterOperator.DoesNotEqual;
                    break;
                case 1:
                    policy.Groups = [$"Group {p % 20}"];
                    policy.ExcludeUsers = ["user3@contoso.com"];
                    break;
                case 2:
                    policy.IPRanges = ["10.0.0.0/8", "172.16.0.0/12", "2001:db8:1::/48"];
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

            if (p % 2 == 0)
            {
                policy.Apps = [AppName];
            }

            configuration.AccessPolicies.Add(policy);
        }

        return configuration;
    }
}
