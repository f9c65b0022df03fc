using System.Text.RegularExpressions;
using CasbModule.Tests.Browser;

namespace CasbModule.Tests.Deploy;

/// <summary>
/// The files in deploy/ as an admin installs them: what each hands the gateway, and who else can read it. docs/deploying.md
/// installs /etc/casb/gateway.env with mode 644, so it is for site settings only; a secret reaches the service through a
/// credential (systemd) or a mounted Secret file (Kubernetes), never a world-readable file or a command line.
/// </summary>
public sealed partial class DeployArtifactTests
{
    private const string PasswordVariable = "CASB_GATEWAY_CERTIFICATE_PASSWORD";
    private const string PasswordFileVariable = "CASB_GATEWAY_CERTIFICATE_PASSWORD_FILE";

    private static readonly string Deploy = Path.Combine(BrowserEnvironment.RepositoryRoot, "deploy");

    [Fact]
    public void The_world_readable_env_file_assigns_no_secret()
    {
        string[] secrets = Assignments(File.ReadAllLines(Path.Combine(Deploy, "systemd", "gateway.env.example")))
            .Select(a => a.Name)
            .Where(IsSecretName)
            .ToArray();

        Assert.Empty(secrets);
    }

    [Fact]
    public void The_unit_gives_the_certificate_password_as_a_credential_file()
    {
        string[] unit = File.ReadAllLines(Path.Combine(Deploy, "systemd", "casb-gateway.service"));
        var environment = Assignments(unit.Where(l => l.StartsWith("Environment=", StringComparison.Ordinal)).Select(l => l["Environment=".Length..]))
            .ToDictionary(a => a.Name, a => a.Value, StringComparer.Ordinal);
        string[] credentials = unit.Where(l => l.StartsWith("LoadCredential=", StringComparison.Ordinal))
            .Select(l => l["LoadCredential=".Length..].Split(':')[0])
            .ToArray();

        Assert.True(
            environment.TryGetValue(PasswordFileVariable, out string? file),
            $"{PasswordFileVariable} is not set by the unit");
        Assert.StartsWith("%d/", file);
        Assert.Contains(file["%d/".Length..], credentials);
        // Every secret the unit names is a file in the credentials folder, never a value.
        foreach ((string name, string value) in environment.Where(e => IsSecretName(e.Key)))
        {
            Assert.True(value.StartsWith("%d/", StringComparison.Ordinal), $"{name}={value} is not a credential file");
        }
    }

    [Theory]
    [InlineData("DynamicUser", "yes")]
    [InlineData("NoNewPrivileges", "yes")]
    [InlineData("ProtectSystem", "strict")]
    [InlineData("ProtectHome", "yes")]
    [InlineData("PrivateTmp", "yes")]
    [InlineData("ProtectProc", "invisible")]
    [InlineData("UMask", "0077")]
    [InlineData("StateDirectoryMode", "0700")]
    [InlineData("CapabilityBoundingSet", "CAP_NET_BIND_SERVICE")]
    [InlineData("RestrictSUIDSGID", "yes")]
    public void The_unit_keeps_its_sandbox(string key, string value)
    {
        string[] unit = File.ReadAllLines(Path.Combine(Deploy, "systemd", "casb-gateway.service"));

        Assert.Contains($"{key}={value}", unit);
    }

    [Theory]
    [InlineData("runAsNonRoot: true")]
    [InlineData("allowPrivilegeEscalation: false")]
    [InlineData("readOnlyRootFilesystem: true")]
    [InlineData("automountServiceAccountToken: false")]
    [InlineData("drop: [\"ALL\"]")]
    [InlineData("type: RuntimeDefault")]
    public void The_deployment_keeps_its_security_context(string setting)
    {
        string[] lines = File.ReadAllLines(Path.Combine(Deploy, "kubernetes", "deployment.yaml")).Select(l => l.Trim()).ToArray();

        Assert.Contains(setting, lines);
    }

    [Fact]
    public void The_deployment_mounts_the_certificate_password_as_a_file_not_an_environment_variable()
    {
        string deployment = File.ReadAllText(Path.Combine(Deploy, "kubernetes", "deployment.yaml"));

        Assert.DoesNotContain($"name: {PasswordVariable}\n", deployment);
        Assert.Contains($"name: {PasswordFileVariable}\n", deployment);
    }

    [Fact]
    public void The_image_runs_as_a_numeric_non_root_user()
    {
        string user = Assert.Single(File.ReadAllLines(Path.Combine(Deploy, "container", "Dockerfile")), l => l.StartsWith("USER ", StringComparison.Ordinal));

        Assert.Matches(@"^USER [1-9][0-9]*:[1-9][0-9]*$", user);
    }

    // NAME=value lines (systemd Environment= may hold several, space-separated).
    private static IEnumerable<(string Name, string Value)> Assignments(IEnumerable<string> lines) =>
        lines.Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(a => a.Split('=', 2))
            .Where(p => p.Length == 2)
            .Select(p => (p[0], p[1]));

    private static bool IsSecretName(string name) => SecretName().IsMatch(name);

    [GeneratedRegex("PASSWORD|SECRET|TOKEN|APIKEY|API_KEY|OTLP_HEADERS|PGPASSFILE")]
    private static partial Regex SecretName();
}
