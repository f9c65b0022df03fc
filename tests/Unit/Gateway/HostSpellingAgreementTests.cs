using System.Text.Json;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Cmdlets;
using CsCheck;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Generated spellings of a request's host (case, a trailing dot, a port, the other spellings of an IP address that
/// clients and System.Uri accept: "127.1", "0x7f.0.0.1", "2130706433", "[0:0::1]", ...) sent as the Host header to the
/// real gateway and asked of Test-CasbAccess -Uri: both pick the same app, or both find none.
/// </summary>
public sealed class HostSpellingAgreementTests
{
    private static readonly (string Name, string Hostname, string Prefix)[] Apps =
    [
        ("Six", "::1", "/"),
        ("Portal", "portal.contoso.local", "/"),
        ("Portal admin", "portal.contoso.local", "/admin"),
        ("Wild", "*.contoso.local", "/"),
        ("Books", "xn--bcher-kva.contoso.local", "/"),
        ("Lab", "10.0.0.5", "/"),
        ("Other lab", "8.0.0.6", "/"),
    ];

    private static readonly string[] Hosts =
    [
        "localhost", "127.0.0.1", "127.1", "0x7f.0.0.1", "2130706433", "0177.0.0.1", "127.000.000.001", "127.0.1",
        "[::1]", "[0:0::1]", "[0::0:1]", "[0000:0000:0000:0000:0000:0000:0000:0001]",
        "10.0.0.5", "10.5", "012.0.0.5", "0xa.0.0.5", "10.0.0.6", "8.0.0.6", "010.000.000.006",
        "portal.contoso.local", "x.y.contoso.local", "contoso.local", "evilcontoso.local", "xn--bcher-kva.contoso.local",
    ];

    private static readonly string[] Paths = ["/", "/admin", "/ADMIN/x", "/administrator"];

    internal static Gen<string> Host { get; } = Gen.Select(Gen.OneOf(Hosts), Gen.Int[0, 2], Gen.Bool, Gen.Bool, (host, casing, dot, port) =>
    {
        string spelled = casing switch { 1 => host.ToUpperInvariant(), 2 => string.Concat(host.Select((c, i) => i % 2 == 0 ? char.ToUpperInvariant(c) : c)), _ => host };
        if (dot && !spelled.EndsWith(']'))
        {
            spelled += ".";
        }

        return port ? spelled + ":8443" : spelled;
    });

    private static Task<GatewayHarness> StartAsync() => GatewayHarness.StartAsync(c =>
    {
        foreach ((string name, string hostname, string prefix) in Apps)
        {
            c.Apps.Add(new AppEntry { Name = name, Upstream = c.Apps[0].Upstream, Hostnames = { hostname }, PathPrefix = prefix });
        }

        // Every app under App Control and blocked, so the page names the app the gateway chose.
        c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Every app via App Control",
            IncludeUsers = ["All"],
            Apps = c.Apps.Select(a => a.Name).ToList(),
            SessionControl = SessionControlKind.AppControl,
        });
        foreach (AppEntry app in c.Apps)
        {
            c.AccessPolicies.Add(new AccessPolicyEntry
            {
                Name = $"Close {app.Name}",
                Action = AccessPolicyAction.Block,
                BlockMessage = $"{app.Name} is closed.",
                Apps = [app.Name],
                ClientApp = AccessPolicyClientApp.Any,
            });
        }
    });

    /// <summary>The app the gateway chose (its block page names it), null for its 404, else the status.</summary>
    private static async Task<string?> GatewayAppAsync(GatewayHarness harness, string host, string path)
    {
        RawResponse response = await RawHttps.SendAsync(harness.GatewayUrl, path, host: host);
        return response.Status switch
        {
            403 => JsonDocument.Parse(response.Body).RootElement.GetProperty("app").GetString(),
            404 => null,
            _ => $"status {response.Status}",
        };
    }

    /// <summary>The app Test-CasbAccess -Uri decides on, null for AppNotFound, else the error id.</summary>
    private static string? WhatIfApp(PowerShellHost powerShell, GatewayHarness harness, string host, string path)
    {
        var (output, errors) = powerShell.Run(
            "Test-CasbAccess -StorePath $store -Uri $uri",
            new Dictionary<string, object?> { ["store"] = harness.StorePath, ["uri"] = $"https://{host}{path}" });
        return errors.Count > 0
            ? errors[0].FullyQualifiedErrorId.StartsWith("AppNotFound,", StringComparison.Ordinal) ? null : errors[0].FullyQualifiedErrorId
            : ((CasbModule.Types.CasbAccessDecision)Assert.Single(output).BaseObject).App;
    }

    /// <summary>
    /// A Host header in ASCII form ("xn--"), as browsers send an international name and as app host names are stored:
    /// the gateway used to decode it to Unicode before looking for the app, found none on the exact name and gave the
    /// request to the wildcard app of the parent domain, whose policies are not the app's.
    /// </summary>
    [Theory]
    [InlineData("xn--bcher-kva.contoso.local", "/")]
    [InlineData("xn--bcher-kva.contoso.local:8443", "/admin")]
    [InlineData("xn--bcher-kva.contoso.local.", "/x")]
    [InlineData("XN--BCHER-KVA.CONTOSO.LOCAL", "/")]
    public async Task An_app_on_an_international_host_name_gets_its_requests_not_the_parent_wildcard_app(string host, string path)
    {
        await using GatewayHarness harness = await StartAsync();
        using var powerShell = new PowerShellHost();

        Assert.Equal("Books", await GatewayAppAsync(harness, host, path));
        Assert.Equal("Books", WhatIfApp(powerShell, harness, host, path));
        Assert.Equal("Books", WhatIfApp(powerShell, harness, host.Replace("xn--bcher-kva", "bücher", StringComparison.OrdinalIgnoreCase), path));
    }

    /// <summary>
    /// Every generated spelling of a host name or IP address reaches the same app at the gateway as in Test-CasbAccess,
    /// whose System.Uri writes an IP address in its one canonical form ("127.1", "0x7f.0.0.1", "[0:0::1]" and a stored
    /// "010.000.000.006", refused as an app host since, used to be found by one and not the other).
    /// </summary>
    [Fact]
    public async Task Generated_host_spellings_reach_the_same_app_at_the_gateway_and_in_Test_CasbAccess()
    {
        await using GatewayHarness harness = await StartAsync();
        using var powerShell = new PowerShellHost();
        var disagreements = new List<string>();

        Gen.Select(Host, Gen.OneOf(Paths)).Sample((host, path) =>
        {
            string? atGateway = GatewayAppAsync(harness, host, path).GetAwaiter().GetResult();
            string? whatIf = WhatIfApp(powerShell, harness, host, path);
            if (atGateway != whatIf)
            {
                disagreements.Add($"{host}{path}: gateway {atGateway ?? "no app"}, Test-CasbAccess {whatIf ?? "no app"}");
            }
        }, iter: 200, threads: 1);

        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements.Distinct()));
    }
}
