using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CasbCore.Store;

namespace CasbCore.Gateways;

/// <summary>
/// Starts, finds and stops gateway processes for the cmdlets. A gateway is a separate `dotnet CasbGateway.dll`
/// process; its record lives in &lt;store&gt;/gateways/&lt;name&gt;.json and its log in &lt;name&gt;.log beside it.
/// </summary>
public static partial class GatewayProcesses
{
    public const string GatewayAssemblyName = "CasbGateway.dll";
    public const string CertificatePasswordVariable = "CASB_GATEWAY_CERTIFICATE_PASSWORD";
    public const string CertificatePasswordFileVariable = "CASB_GATEWAY_CERTIFICATE_PASSWORD_FILE";
    public const string ActivityOtlpHeadersVariable = "CASB_GATEWAY_ACTIVITY_OTLP_HEADERS";
    public const string ProcessIdHeader = "X-Casb-Gateway-Process-Id";

    private static readonly JsonSerializerOptions RecordJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The gateway records and logs of this host for the store (a folder, or a database's local folder).</summary>
    public static string GatewaysDirectory(string storePath) => Path.Combine(CasbCore.Store.ConfigurationStores.LocalDirectoryOf(storePath), "gateways");

    public static string RecordPath(string storePath, string name) => Path.Combine(GatewaysDirectory(storePath), name + ".json");

    public static string LogPath(string storePath, string name) => Path.Combine(GatewaysDirectory(storePath), name + ".log");

    public static IReadOnlyList<GatewayRecord> ReadRecords(string storePath)
    {
        string directory = GatewaysDirectory(storePath);
        var records = new List<GatewayRecord>();
        if (!Directory.Exists(directory))
        {
            return records;
        }

        foreach (string file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                if (JsonSerializer.Deserialize<GatewayRecord>(File.ReadAllBytes(file), RecordJson) is { Name.Length: > 0 } record)
                {
                    records.Add(record);
                }
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                // A record being replaced or a foreign file: not a gateway.
            }
        }

        return records;
    }

    public static GatewayRecord? ReadRecord(string storePath, string name) =>
        ReadRecords(storePath).FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

    public static void RemoveRecord(string storePath, string name)
    {
        try
        {
            File.Delete(RecordPath(storePath, name));
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>The live process of a record, or null when it exited or its id was reused.</summary>
    public static Process? FindProcess(GatewayRecord record)
    {
        Process process;
        try
        {
            process = Process.GetProcessById(record.ProcessId);
        }
        catch (ArgumentException)
        {
            return null;
        }

        try
        {
            if (process.HasExited || Math.Abs((ToUtc(process.StartTime) - record.ProcessStartTime).TotalSeconds) > 2)
            {
                process.Dispose();
                return null;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            process.Dispose();
            return null;
        }

        return process;
    }

    public static GatewayStatus GetStatus(GatewayRecord record, TimeSpan probeTimeout)
    {
        using Process? process = FindProcess(record);
        if (process is null)
        {
            return GatewayStatus.Stopped;
        }

        return ProbeHealthAsync(record.HealthUrl, probeTimeout, CancellationToken.None, record.ProcessId).GetAwaiter().GetResult()
            ? GatewayStatus.Running
            : GatewayStatus.NotResponding;
    }

    /// <summary>
    /// Starts a gateway and waits until /healthz answers. On any failure the process (tree) is killed and a
    /// CasbException GatewayStartFailed carries the gateway's own message.
    /// </summary>
    public static GatewayRecord Start(GatewayStartOptions options, CancellationToken cancellationToken = default)
    {
        GatewayNames.ThrowIfInvalid(options.Name);
        string storePath = CasbCore.Store.CasbStore.ResolvePath(options.StorePath);

        // Checked here, before any process: the gateway would refuse them too, with a message the admin sees later.
        string? otlpEndpoint = options.ActivityOtlpEndpoint is null ? null : Activity.OtlpActivitySink.LogsUri(options.ActivityOtlpEndpoint).ToString();
        if (options.ActivityOtlpHeaders.Count > 0 && otlpEndpoint is null)
        {
            throw new CasbException(
                "InvalidOtlpHeader", CasbErrorKind.InvalidArgument, "OTLP headers need an OTLP endpoint (-ActivityOtlpEndpoint).", null);
        }

        foreach (KeyValuePair<string, string> header in options.ActivityOtlpHeaders)
        {
            Activity.OtlpActivitySink.Header(header.Key, header.Value);
        }

        if (options.ActivityOtlpCompression is not null && otlpEndpoint is null)
        {
            throw new CasbException(
                "InvalidOtlpCompression", CasbErrorKind.InvalidArgument, "An OTLP compression needs an OTLP endpoint (-ActivityOtlpEndpoint).", null);
        }

        if (options.ActivityQueueCapacity is { } capacity and (< 1 or > Activity.ActivityPump.MaxCapacity))
        {
            throw new CasbException(
                "InvalidActivityQueueCapacity", CasbErrorKind.InvalidArgument,
                $"The activity queue capacity {capacity} is not a number of records from 1 to {Activity.ActivityPump.MaxCapacity}.", capacity);
        }

        try
        {
            Directory.CreateDirectory(GatewaysDirectory(storePath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CasbException(
                "GatewayStartFailed", CasbErrorKind.WriteError,
                $"Cannot create the gateways folder '{GatewaysDirectory(storePath)}' for the gateway's record and log: {ex.Message}", options.Name, ex);
        }

        // One start of a name (in any case) at a time, from the check to the record: two racing starts would otherwise both
        // pass the check, the second deleting the log file the first gateway writes to, and Lab and lab would both start.
        using FileStream startLock = LockName(storePath, options.Name, options.StartupTimeout + TimeSpan.FromSeconds(30), cancellationToken);
        if (LiveRecord(storePath, options.Name) is { } existing)
        {
            throw AlreadyRunning(options.Name, storePath, existing);
        }

        // Only stale ones are left, each in its own file: Lab.json and lab.json are two files on Linux.
        foreach (GatewayRecord stale in RecordsNamed(storePath, options.Name))
        {
            RemoveRecordOf(stale, storePath);
        }

        string gatewayDll = Path.Combine(options.GatewayDirectory, GatewayAssemblyName);
        if (!File.Exists(gatewayDll))
        {
            throw new CasbException(
                "GatewayStartFailed", CasbErrorKind.ObjectNotFound,
                $"The gateway program '{gatewayDll}' is missing: the module is not staged completely (run build.ps1).", gatewayDll);
        }

        string url = $"https://{FormatHost(options.ListenAddress)}:{options.Port}";
        string healthUrl = $"https://{FormatHost(ProbeAddress(options.ListenAddress))}:{options.Port}/healthz";
        string logFile = LogPath(storePath, options.Name);
        TryDelete(logFile);

        // On Linux the gateway gets its own session: a Ctrl+C later in the admin's terminal must not stop it.
        string? setsid = OperatingSystem.IsLinux() ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists) : null;
        var startInfo = new ProcessStartInfo(setsid ?? FindDotnet())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
            WorkingDirectory = options.GatewayDirectory,
        };
        if (setsid is not null)
        {
            // Started by fork/exec, this child is no process-group leader, so setsid execs in place: same process id.
            startInfo.ArgumentList.Add(FindDotnet());
        }

        startInfo.ArgumentList.Add(gatewayDll);
        foreach (string arg in new[] { "--store", storePath, "--urls", url, "--name", options.Name, "--log-file", logFile })
        {
            startInfo.ArgumentList.Add(arg);
        }

        if (options.CertificatePath is not null)
        {
            startInfo.ArgumentList.Add("--certificate");
            startInfo.ArgumentList.Add(Path.GetFullPath(options.CertificatePath));
        }

        if (options.UpstreamTimeout is { } upstreamTimeout)
        {
            startInfo.ArgumentList.Add("--upstream-timeout");
            startInfo.ArgumentList.Add(upstreamTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (otlpEndpoint is not null)
        {
            startInfo.ArgumentList.Add("--activity-otlp");
            startInfo.ArgumentList.Add(otlpEndpoint);
        }

        if (options.ActivityOtlpCompression is { } compression)
        {
            startInfo.ArgumentList.Add("--activity-otlp-compression");
            startInfo.ArgumentList.Add(compression.ToString().ToLowerInvariant());
        }

        if (options.ActivityQueueCapacity is { } queueCapacity)
        {
            startInfo.ArgumentList.Add("--activity-queue-capacity");
            startInfo.ArgumentList.Add(queueCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        // Headers carry API keys: the environment, unlike a command line, is not readable by every user of the host.
        startInfo.Environment.Remove(ActivityOtlpHeadersVariable);
        if (options.ActivityOtlpHeaders.Count > 0)
        {
            startInfo.Environment[ActivityOtlpHeadersVariable] = string.Join('\n', options.ActivityOtlpHeaders.Select(h => $"{h.Key}={h.Value}"));
        }

        // Only -CertificatePassword sets the password: not a variable of either name left in the admin's session.
        startInfo.Environment.Remove(CertificatePasswordVariable);
        startInfo.Environment.Remove(CertificatePasswordFileVariable);
        if (options.CertificatePassword is not null)
        {
            startInfo.Environment[CertificatePasswordVariable] = options.CertificatePassword;
        }

        var output = new StringBuilder();
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new CasbException(
                "GatewayStartFailed", CasbErrorKind.ResourceUnavailable, $"Cannot start '{startInfo.FileName}': {ex.Message}", options.Name, ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        DateTime processStartTime;
        try
        {
            processStartTime = process.StartTime;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // Exited before its start time could be read (a bad argument, a missing runtime): the start failed, as below.
            process.WaitForExit();
            int exitCode = process.ExitCode;
            process.Dispose();
            throw new CasbException(
                "GatewayStartFailed", CasbErrorKind.InvalidOperation,
                $"The gateway '{options.Name}' did not start (exit code {exitCode}): {StartupMessage(logFile, output)}", options.Name, ex);
        }

        var record = new GatewayRecord
        {
            Name = options.Name,
            ProcessId = process.Id,
            ProcessStartTime = ToUtc(processStartTime),
            Url = url,
            HealthUrl = healthUrl,
            StorePath = storePath,
            StartedAt = DateTimeOffset.UtcNow,
            LogFile = logFile,
        };

        // Recorded before the wait for /healthz: a start whose PowerShell is killed meanwhile (the gateway has its own session
        // and lives on) leaves a gateway Get-CasbGateway lists and Stop-CasbGateway stops, never one running unrecorded. A
        // record that cannot be written (a full disk) leaves no gateway running either.
        GatewayRecord? other;
        try
        {
            other = WriteNewRecord(storePath, record);
        }
        catch
        {
            KillTree(process);
            process.Dispose();
            throw;
        }

        if (other is not null)
        {
            KillTree(process);
            process.Dispose();
            throw AlreadyRunning(options.Name, storePath, other);
        }

        DateTime deadline = DateTime.UtcNow + options.StartupTimeout;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (process.WaitForExit(200))
                {
                    process.WaitForExit(); // drains the redirected streams
                    throw new CasbException(
                        "GatewayStartFailed", CasbErrorKind.InvalidOperation,
                        $"The gateway '{options.Name}' did not start (exit code {process.ExitCode}): {StartupMessage(logFile, output)}", options.Name);
                }

                if (ProbeHealthAsync(healthUrl, TimeSpan.FromSeconds(2), cancellationToken, process.Id).GetAwaiter().GetResult())
                {
                    break;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new CasbException(
                        "GatewayStartFailed", CasbErrorKind.OperationTimeout,
                        $"The gateway '{options.Name}' did not answer {healthUrl} within {options.StartupTimeout.TotalSeconds:0} s. {StartupMessage(logFile, output)}",
                        options.Name);
                }
            }
        }
        catch
        {
            KillTree(process);
            process.Dispose();
            RemoveRecordOf(record, storePath);
            throw;
        }

        return record;
    }

    /// <summary>
    /// Stops a gateway gracefully (SIGTERM on Unix: in-flight requests finish), killing it only after
    /// <paramref name="timeout"/>. Removes its record. Returns false when it was not running any more.
    /// </summary>
    public static bool Stop(GatewayRecord record, TimeSpan timeout)
    {
        using Process? process = FindProcess(record);
        bool wasRunning = process is not null;
        if (process is not null)
        {
            bool signalled = !OperatingSystem.IsWindows() && SendTerminate(process.Id);
            if (!signalled || !process.WaitForExit(timeout))
            {
                KillTree(process);
            }
        }

        RemoveRecordOf(record, record.StorePath);
        return wasRunning;
    }

    /// <summary>
    /// The names (upper-cased, as names compare) that a start has locked on this host, whether or not a start holds the lock
    /// now: the gateways a stop must wait for, since a starting gateway has no record until it answers /healthz.
    /// </summary>
    public static IReadOnlyList<string> StartLockNames(string storePath)
    {
        string directory = GatewaysDirectory(storePath);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return Directory.EnumerateFiles(directory, ".*" + StartLockSuffix)
            .Select(file => Path.GetFileName(file)[1..^StartLockSuffix.Length])
            .Where(name => name.Length > 0)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Waits for the starts of <paramref name="names"/> in progress (in this or another process) to finish, and keeps new
    /// ones from starting until the result is disposed: a stop then finds the record of a gateway that was starting, rather
    /// than nothing, with the gateway coming up behind it. A start still in progress after <paramref name="timeout"/> is a
    /// GatewayStartInProgress error given to <paramref name="stillStarting"/>, for that name only: the other names are held.
    /// </summary>
    public static IDisposable HoldStarts(
        string storePath, IEnumerable<string> names, TimeSpan timeout, Action<CasbException> stillStarting, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stillStarting);
        var held = new List<FileStream>();
        try
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            foreach (string name in names.Select(n => n.ToUpperInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                if (!File.Exists(StartLockPath(storePath, name)))
                {
                    continue; // never started on this host: no start to wait for, and no lock file made for a stop
                }

                TimeSpan left = deadline - DateTime.UtcNow;
                try
                {
                    held.Add(LockName(storePath, name, left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken, stopping: true));
                }
                catch (CasbException ex) when (ex.ErrorId == "GatewayStartInProgress")
                {
                    stillStarting(ex); // one slow start keeps its own name from being stopped, not every other gateway
                }
            }
        }
        catch
        {
            held.ForEach(l => l.Dispose());
            throw;
        }

        return new HeldLocks(held);
    }

    private sealed class HeldLocks(List<FileStream> locks) : IDisposable
    {
        public void Dispose() => locks.ForEach(l => l.Dispose());
    }

    // Names are one name in any case (ReadRecord, Get-/Stop-CasbGateway), their files are not: every record of the name.
    private static IEnumerable<GatewayRecord> RecordsNamed(string storePath, string name) =>
        ReadRecords(storePath).Where(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

    // The record of a live gateway of the name in any case, whichever file sorts first.
    private static GatewayRecord? LiveRecord(string storePath, string name)
    {
        foreach (GatewayRecord record in RecordsNamed(storePath, name))
        {
            using Process? running = FindProcess(record);
            if (running is not null)
            {
                return record;
            }
        }

        return null;
    }

    // Only this gateway's record: one written under its name since (a gateway started after this one stopped) stays.
    private static void RemoveRecordOf(GatewayRecord record, string storePath)
    {
        string path = RecordPath(storePath, record.Name);
        try
        {
            if (JsonSerializer.Deserialize<GatewayRecord>(File.ReadAllBytes(path), RecordJson) is { } recorded
                && (recorded.ProcessId != record.ProcessId || recorded.ProcessStartTime != record.ProcessStartTime))
            {
                return;
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            // Gone already, or not a record: nothing of another gateway to keep.
        }

        RemoveRecord(storePath, record.Name);
    }

    /// <summary>True when <paramref name="healthUrl"/> answers 200 (from process <paramref name="processId"/> when given).</summary>
    public static async Task<bool> ProbeHealthAsync(string healthUrl, TimeSpan timeout, CancellationToken cancellationToken, int? processId = null)
    {
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            // Only for this loopback liveness probe of our own process: its certificate may be self-signed.
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        };
        using var client = new HttpClient(handler) { Timeout = timeout };
        try
        {
            // The probe names itself: when loopback is a trusted proxy, a request without X-Forwarded-For is an unknown
            // client's, not a --metrics-allow caller's, and /healthz would leave out the process id. It connects to the
            // gateway's own address, which a connection on one host comes from.
            var uri = new Uri(healthUrl);
            if (uri.IsLoopback && uri.HostNameType == UriHostNameType.Dns)
            {
                uri = new UriBuilder(uri) { Host = "127.0.0.1" }.Uri; // Kestrel's localhost always has IPv4 loopback
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out IPAddress? self))
            {
                request.Headers.TryAddWithoutValidation("X-Forwarded-For", self.ToString());
            }

            using HttpResponseMessage response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            return processId is null
                || (response.Headers.TryGetValues(ProcessIdHeader, out var values) && values.Contains(processId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>DOTNET_HOST_PATH, else this process when it is dotnet, else dotnet on PATH.</summary>
    public static string FindDotnet()
    {
        string? hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }

        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        return OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
    }

    // Two starts of one name can both pass the check before their processes start: the record goes only where no live
    // gateway of the name is recorded, else the other record would hide a gateway still running. Returns that gateway.
    private static GatewayRecord? WriteNewRecord(string storePath, GatewayRecord record)
    {
        string path = RecordPath(storePath, record.Name);
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(record, RecordJson));
        try
        {
            File.Move(temp, path, overwrite: false);
            return null;
        }
        catch (IOException) when (File.Exists(path))
        {
            if (LiveRecord(storePath, record.Name) is { } other)
            {
                TryDelete(temp);
                return other;
            }

            File.Move(temp, path, overwrite: true);
            return null;
        }
    }

    // A lock file per name, upper-cased as names compare (OrdinalIgnoreCase): held by one start of the name at a time,
    // in this or another process (FileShare.None is an exclusive lock on Unix too).
    private const string StartLockSuffix = ".start.lock";

    private static string StartLockPath(string storePath, string name) =>
        Path.Combine(GatewaysDirectory(storePath), $".{name.ToUpperInvariant()}{StartLockSuffix}");

    private static FileStream LockName(string storePath, string name, TimeSpan timeout, CancellationToken cancellationToken, bool stopping = false)
    {
        string lockFile = StartLockPath(storePath, name);
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                cancellationToken.WaitHandle.WaitOne(50);
                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (IOException ex) when (stopping)
            {
                throw new CasbException(
                    "GatewayStartInProgress", CasbErrorKind.ResourceBusy,
                    $"The gateway '{name}' of the store '{storePath}' is still starting after {timeout.TotalSeconds:0} s: nothing of that name was stopped. Run Stop-CasbGateway again when its start has finished.", name, ex);
            }
            catch (IOException ex)
            {
                throw new CasbException(
                    "GatewayStartFailed", CasbErrorKind.ResourceBusy,
                    $"Another start of the gateway '{name}' for the store '{storePath}' did not finish within {timeout.TotalSeconds:0} s: {ex.Message}", name, ex);
            }
            catch (UnauthorizedAccessException ex)
            {
                // Never another start's: no one may open the lock file (a gateways folder this user cannot write).
                throw new CasbException(
                    "GatewayStartFailed", CasbErrorKind.WriteError,
                    $"Cannot open the start lock '{lockFile}' of the gateway '{name}': {ex.Message}", name, ex);
            }
        }
    }

    private static CasbException AlreadyRunning(string name, string storePath, GatewayRecord existing) => new(
        "GatewayAlreadyRunning", CasbErrorKind.ResourceExists,
        $"A gateway named '{name}' is already running for the store '{storePath}' (process {existing.ProcessId}, {existing.Url}). Stop it first with Stop-CasbGateway -Name {name}.",
        name);

    private static string StartupMessage(string logFile, StringBuilder output)
    {
        var lines = new List<string>();
        try
        {
            if (File.Exists(logFile))
            {
                using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream);
                while (reader.ReadLine() is { } line)
                {
                    lines.Add(line);
                }
            }
        }
        catch (IOException)
        {
        }

        lock (output)
        {
            lines.AddRange(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        // The gateway prints its own reason as "CasbGateway: ..." on stderr; otherwise show the log's tail.
        var own = lines.Where(l => l.StartsWith("CasbGateway", StringComparison.Ordinal))
            .Select(l => CasbPrefix().Replace(l, ""))
            .Where(l => !l.StartsWith("Usage", StringComparison.Ordinal))
            .ToList();
        if (own.Count > 0)
        {
            return string.Join(" ", own);
        }

        return lines.Count == 0 ? "it printed nothing." : string.Join(" ", lines.TakeLast(5));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            if (output.Length < 64 * 1024)
            {
                output.AppendLine(line);
            }
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    private static bool SendTerminate(int processId)
    {
        const int SigTerm = 15;
        try
        {
            return Kill(processId, SigTerm) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static string ProbeAddress(string listenAddress) => listenAddress switch
    {
        "0.0.0.0" or "*" or "+" => "127.0.0.1",
        "::" or "[::]" => "::1",
        _ => listenAddress,
    };

    private static string FormatHost(string address) =>
        IPAddress.TryParse(address.Trim('[', ']'), out IPAddress? ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{ip}]"
            : address;

    private static DateTimeOffset ToUtc(DateTime local) => new DateTimeOffset(local).ToUniversalTime();

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code; this signature marshals nothing.
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    [GeneratedRegex(@"^CasbGateway( sample-app)?:\s*")]
    private static partial Regex CasbPrefix();
}
