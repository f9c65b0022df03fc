using System.Diagnostics;
using CasbCore.Gateways;

namespace CasbModule.Tests.Gateway;

/// <summary>The gateway program itself, run as `dotnet CasbGateway.dll` the way systemd or a container would.</summary>
public sealed class GatewayProcessTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("casb-gwproc-").FullName;

    public void Dispose() => Directory.Delete(_store, recursive: true);

    [Fact]
    public async Task A_broken_store_at_start_exits_non_zero_with_the_reason_on_stderr()
    {
        await File.WriteAllTextAsync(Path.Combine(_store, "casb.json"), "{ broken");

        (int exitCode, string stderr) = await RunAsync("--store", _store, "--urls", $"https://127.0.0.1:{RequestPathTests.FreePort()}");

        Assert.Equal(1, exitCode);
        Assert.Contains("CasbGateway: Cannot load the store", stderr);
        Assert.Contains("casb.json", stderr);
        Assert.Contains("corrupt", stderr);
    }

    [Fact]
    public async Task A_missing_store_option_exits_with_usage()
    {
        (int exitCode, string stderr) = await RunAsync("--urls", "https://127.0.0.1:8443");

        Assert.Equal(2, exitCode);
        Assert.Contains("--store <path> is required", stderr);
        Assert.Contains("Usage:", stderr);
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("under-a-file")]
    public async Task A_log_file_that_cannot_be_opened_exits_1_with_one_line_naming_it(string why)
    {
        // Made unopenable by shape rather than permissions, which root (and CI) would override.
        string logFile = why == "folder" ? Path.Combine(_store, "gw.log") : Path.Combine(_store, "not-a-folder", "logs", "gw.log");
        if (why == "folder")
        {
            Directory.CreateDirectory(logFile);
        }
        else
        {
            await File.WriteAllTextAsync(Path.Combine(_store, "not-a-folder"), "");
        }

        (int exitCode, string stderr) = await RunAsync(
            "--store", _store, "--urls", $"https://127.0.0.1:{RequestPathTests.FreePort()}", "--log-file", logFile);

        string line = AssertOneLineFailure(exitCode, stderr);
        Assert.Contains($"Cannot open the log file '{logFile}'", line);
        Assert.Contains(why == "folder" ? "it is a folder" : "a folder on the path does not exist or is a file", line);
    }

    [Fact]
    public async Task A_store_where_the_server_certificate_cannot_be_created_exits_1_naming_its_path()
    {
        await File.WriteAllTextAsync(Path.Combine(_store, "gateway"), "");

        (int exitCode, string stderr) = await RunAsync("--store", _store, "--urls", $"https://127.0.0.1:{RequestPathTests.FreePort()}");

        string line = AssertOneLineFailure(exitCode, stderr);
        Assert.Contains($"Cannot create the self-signed server certificate '{Path.Combine(_store, "gateway", "server.pfx")}'", line);
        Assert.Contains("a file stands where a folder is needed", line);
    }

    [Fact]
    public async Task An_activity_folder_that_cannot_be_written_exits_1_naming_it()
    {
        await File.WriteAllTextAsync(Path.Combine(_store, "activity"), "");

        (int exitCode, string stderr) = await RunAsync("--store", _store, "--urls", $"http://127.0.0.1:{RequestPathTests.FreePort()}");

        string line = AssertOneLineFailure(exitCode, stderr);
        Assert.Contains($"Cannot write the activity log in '{Path.Combine(_store, "activity")}'", line);
    }

    [Fact]
    public async Task An_unreadable_store_file_exits_1_naming_it()
    {
        Directory.CreateDirectory(Path.Combine(_store, "casb.json"));

        (int exitCode, string stderr) = await RunAsync("--store", _store, "--urls", $"http://127.0.0.1:{RequestPathTests.FreePort()}");

        string line = AssertOneLineFailure(exitCode, stderr);
        Assert.Contains(Path.Combine(_store, "casb.json"), line);
    }

    [Fact]
    public async Task The_log_file_it_creates_is_readable_by_its_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // The log names users as they sign in, and the hosts and paths they asked for.
        await File.WriteAllTextAsync(Path.Combine(_store, "casb.json"), "{ broken");
        string logFile = Path.Combine(_store, "gateways", "gw.log");

        (int exitCode, _) = await RunAsync("--store", _store, "--urls", $"https://127.0.0.1:{RequestPathTests.FreePort()}", "--log-file", logFile);

        Assert.Equal(1, exitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(logFile));
    }

    [Theory]
    [InlineData("pfx-password\n")]
    [InlineData("pfx-password\r\n")]
    [InlineData("pfx-password")]
    public async Task The_certificate_password_is_read_from_the_file_named_by_the_environment(string fileContent)
    {
        // systemd's LoadCredential= and a mounted Kubernetes Secret hand over a file: the password is in no environment or
        // world-readable env file. A file written by echo or an editor ends with a line break that is not part of it.
        string pfx = Path.Combine(_store, "server.pfx");
        using (var key = System.Security.Cryptography.RSA.Create(2048))
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(
                "CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            await File.WriteAllBytesAsync(pfx, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "pfx-password"));
        }

        string passwordFile = Path.Combine(_store, "gateway.pfx.password");
        await File.WriteAllTextAsync(passwordFile, fileContent);
        int port = RequestPathTests.FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["CASB_GATEWAY_CERTIFICATE_PASSWORD"] = null,
            ["CASB_GATEWAY_CERTIFICATE_PASSWORD_FILE"] = passwordFile,
        };

        using Process process = Start(environment, "--store", _store, "--urls", $"https://127.0.0.1:{port}", "--certificate", pfx);
        try
        {
            bool healthy = false;
            for (DateTime deadline = DateTime.UtcNow.AddSeconds(60); !healthy && !process.HasExited && DateTime.UtcNow < deadline;)
            {
                healthy = await GatewayProcesses.ProbeHealthAsync($"https://127.0.0.1:{port}/healthz", TimeSpan.FromSeconds(2), CancellationToken.None);
                if (!healthy)
                {
                    await Task.Delay(200);
                }
            }

            Assert.True(healthy, process.HasExited ? $"exit {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}" : "no answer on /healthz");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_certificate_password_file_that_cannot_be_read_exits_with_its_variable_and_path()
    {
        string missing = Path.Combine(_store, "no-such-password");

        (int exitCode, string stderr) = await RunAsync(
            new Dictionary<string, string?> { ["CASB_GATEWAY_CERTIFICATE_PASSWORD_FILE"] = missing },
            "--store", _store, "--urls", $"https://127.0.0.1:{RequestPathTests.FreePort()}");

        Assert.Equal(2, exitCode);
        Assert.Contains($"CASB_GATEWAY_CERTIFICATE_PASSWORD_FILE: cannot read '{missing}'", stderr);
    }

    // What Start-CasbGateway shows the admin: exit 1 (not a crash's 134) and one "CasbGateway: ..." line, no stack trace.
    private static string AssertOneLineFailure(int exitCode, string stderr)
    {
        Assert.Equal(1, exitCode);
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string line = Assert.Single(lines);
        Assert.StartsWith("CasbGateway: ", line);
        return line;
    }

    private static Task<(int ExitCode, string Stderr)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string?>(), args);

    private static async Task<(int ExitCode, string Stderr)> RunAsync(Dictionary<string, string?> environment, params string[] args)
    {
        using Process process = Start(environment, args);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await stdout;
        return (process.ExitCode, await stderr);
    }

    private static Process Start(Dictionary<string, string?> environment, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, GatewayProcesses.GatewayAssemblyName);
        var startInfo = new ProcessStartInfo(GatewayProcesses.FindDotnet()) { RedirectStandardError = true, RedirectStandardOutput = true };
        startInfo.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        foreach ((string name, string? value) in environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        return Process.Start(startInfo)!;
    }
}
