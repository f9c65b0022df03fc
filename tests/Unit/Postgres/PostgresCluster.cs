using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CasbModule.Tests.Postgres;

/// <summary>
/// A throwaway PostgreSQL cluster for the tests: <c>initdb</c> in a temporary folder and <c>pg_ctl</c> on a free
/// loopback port, from Debian's <c>postgresql</c> package (which .ci/run installs). PostgreSQL refuses to run as root, so
/// when the tests run as root the server runs as the <c>postgres</c> user the package creates. The superuser
/// <c>postgres</c> signs in with <see cref="Password"/> over TCP (scram-sha-256) and without one over the socket in the
/// cluster's own folder. Stopped and deleted on dispose.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    /// <summary>The superuser's password: one for every throwaway cluster, so one PGPASSWORD serves a whole test process.</summary>
    public const string Password = "casb-test-password";

    public const string User = "postgres";

    /// <summary>Overrides where initdb and pg_ctl are looked for (a folder), for machines that keep them elsewhere.</summary>
    public const string BinEnvironmentVariable = "CASB_POSTGRES_BIN";

    private readonly string _bin;
    private readonly bool _asPostgresUser;
    private int _databases;
    private bool _disposed;

    private PostgresCluster(string bin, string folder, bool asPostgresUser)
    {
        _bin = bin;
        Folder = folder;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>The cluster's temporary folder: data/, the socket and server.log.</summary>
    public string Folder { get; }

    public string DataDirectory => Path.Combine(Folder, "data");

    public string LogFile => Path.Combine(Folder, "server.log");

    public int Port { get; private set; }

    public string Host => "127.0.0.1";

    /// <summary>Initializes and starts a cluster; throws with what is missing when the server binaries are not installed.</summary>
    public static PostgresCluster Start()
    {
        string bin = FindBinaries();
        bool root = Environment.IsPrivilegedProcess && !OperatingSystem.IsWindows();
        string folder = Directory.CreateTempSubdirectory("casb-pg-").FullName;
        var cluster = new PostgresCluster(bin, folder, root);
        try
        {
            cluster.Initialize();
            cluster.StartServer();
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The folder with initdb and pg_ctl: $CASB_POSTGRES_BIN, else the newest /usr/lib/postgresql/&lt;version&gt;/bin.
    /// Missing binaries are an error, never a skip: CI installs them, so a test that cannot run must fail.
    /// </summary>
    public static string FindBinaries()
    {
        string? configured = Environment.GetEnvironmentVariable(BinEnvironmentVariable);
        IEnumerable<string> candidates = !string.IsNullOrWhiteSpace(configured)
            ? [configured]
            : Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql")
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out int v) ? v : -1)
                    .Select(d => Path.Combine(d, "bin"))
                : [];
        foreach (string candidate in candidates)
        {
            if (File.Exists(Path.Combine(candidate, "initdb")) && File.Exists(Path.Combine(candidate, "pg_ctl")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "The PostgreSQL server binaries (initdb, pg_ctl) were not found " +
            (string.IsNullOrWhiteSpace(configured) ? "under /usr/lib/postgresql/<version>/bin" : $"in ${BinEnvironmentVariable} ('{configured}')") +
            ": install Debian's postgresql package (apt-get install postgresql; .ci/run does). The PostgreSQL store tests need a real server.");
    }

    /// <summary>The URI the store accepts (no password: it comes from PGPASSWORD or the passfile).</summary>
    public string Uri(string database) => $"postgresql://{User}@{Host}:{Port}/{database}";

    /// <summary>An Npgsql/ADO connection string with the password, for tests that look into the database directly.</summary>
    public string ConnectionString(string database) =>
        $"Host={Host};Port={Port};Username={User};Password={Password};Database={database};Pooling=false";

    /// <summary>Creates a new, empty database with a unique name and returns the name.</summary>
    public string CreateDatabase(string prefix = "casb")
    {
        string safe = new(prefix.ToLowerInvariant().Where(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_').Take(40).ToArray());
        string name = $"{(safe.Length == 0 ? "casb" : safe)}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..6]}";
        Run(Path.Combine(_bin, "createdb"), ["-h", Host, "-p", Port.ToString(), "-U", User, name], asServer: false);
        return name;
    }

    /// <summary>Runs SQL through psql on the cluster (as the superuser) and returns its unaligned output.</summary>
    public string Sql(string database, string sql) =>
        Run(Path.Combine(_bin, "psql"), ["-h", Host, "-p", Port.ToString(), "-U", User, "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], asServer: false);

    /// <summary>
    /// Stops the server. Fast (a clean shutdown) keeps every commit for <see cref="Restart"/>; immediate, for
    /// disposal, may lose the last commits (the cluster runs with synchronous_commit off).
    /// </summary>
    public void Stop(bool immediate = false)
    {
        if (Port != 0 && File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            Run(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "stop"], asServer: true, throwOnFailure: false);
        }
    }

    /// <summary>Starts the stopped server again on the same port (the tests that take the database away and bring it back).</summary>
    public void Restart()
    {
        Stop();
        RunServer(Port);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            Stop(immediate: true);
        }
        finally
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private void Initialize()
    {
        string passwordFile = Path.Combine(Folder, "pwfile");
        File.WriteAllText(passwordFile, Password + "\n");
        if (_asPostgresUser)
        {
            Run("chown", ["-R", $"{User}:", Folder], asServer: false);
        }

        Run(Path.Combine(_bin, "initdb"),
            ["-D", DataDirectory, "-U", User, "--pwfile", passwordFile, "-E", "UTF8", "--locale", "C",
             "--auth-local", "trust", "--auth-host", "scram-sha-256", "--no-sync", "--no-instructions"],
            asServer: true);
        File.Delete(passwordFile);
    }

    private void StartServer()
    {
        // The port is free when picked and taken by the server a moment later; another process can win that race.
        for (int attempt = 1; ; attempt++)
        {
            int port = FreeLoopbackPort();
            try
            {
                RunServer(port);
                return;
            }
            catch (InvalidOperationException) when (attempt < 5 && ServerLogMentions("could not bind", "could not create any TCP/IP sockets"))
            {
            }
        }
    }

    private void RunServer(int port)
    {
        // fsync off and small buffers: a throwaway cluster on a shared 2-core machine.
        string options = $"-c port={port} -c listen_addresses={Host} -c unix_socket_directories={Folder} " +
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=100";
        Run(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-l", LogFile, "-o", options, "-w", "-t", "60", "start"], asServer: true);
        Port = port;
    }

    private bool ServerLogMentions(params string[] texts)
    {
        try
        {
            string log = File.ReadAllText(LogFile);
            return texts.Any(t => log.Contains(t, StringComparison.OrdinalIgnoreCase));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private string Run(string file, IReadOnlyList<string> arguments, bool asServer, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Folder,
        };
        if (asServer && _asPostgresUser)
        {
            start.FileName = "runuser";
            foreach (string a in (string[])["-u", User, "--", file])
            {
                start.ArgumentList.Add(a);
            }
        }
        else
        {
            start.FileName = file;
        }

        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["PGPASSWORD"] = Password;
        start.Environment["LC_ALL"] = "C";
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {file}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(file)} did not finish within 120 s.");
        }

        string output = stdout.Result;
        if (process.ExitCode != 0 && throwOnFailure)
        {
            string log = File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";
            throw new InvalidOperationException(
                $"{Path.GetFileName(file)} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {stderr.Result}{output}\n{log}");
        }

        return output.Trim();
    }
}
