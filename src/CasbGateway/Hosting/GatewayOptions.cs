using System.Net;
using CasbCore;
using CasbCore.Policies;

namespace CasbGateway.Hosting;

/// <summary>The gateway's command line. The server certificate password comes from the environment or a file it names, never the command line.</summary>
internal sealed class GatewayOptions
{
    public const string CertificatePasswordVariable = CasbCore.Gateways.GatewayProcesses.CertificatePasswordVariable;

    /// <summary>
    /// The path of a file holding the certificate password, for a service manager that hands secrets over as files (systemd's
    /// LoadCredential=, a mounted Kubernetes Secret), so that the password is in no environment file other users can read.
    /// </summary>
    public const string CertificatePasswordFileVariable = CasbCore.Gateways.GatewayProcesses.CertificatePasswordFileVariable;
    public const string DefaultName = "default";

    /// <summary>OTLP headers (name=value, one a line) from the environment, so an API key stays off the command line.</summary>
    public const string ActivityOtlpHeadersVariable = CasbCore.Gateways.GatewayProcesses.ActivityOtlpHeadersVariable;

    public const string Usage =
        "Usage: CasbGateway --store <path> [--urls https://127.0.0.1:8443[;...]] [--certificate <pfx>] [--name <name>] " +
        "[--upstream-timeout <seconds>] [--log-file <path>] [--metrics-allow <cidr>[;...]] [--max-request-body-size <bytes>] " +
        "[--activity-database postgresql://user@host:port/database] [--activity-queue-capacity <records>] [--activity-otlp <url> [--activity-otlp-header name=value]... [--activity-otlp-compression gzip|none]]\n" +
        "       CasbGateway sample-app --urls http://127.0.0.1:5080\n" +
        $"The certificate password is read from ${CertificatePasswordVariable}, or from the file ${CertificatePasswordFileVariable} names; OTLP headers also from ${ActivityOtlpHeadersVariable} (name=value, one a line).";

    public required string StorePath { get; init; }

    public IReadOnlyList<string> Urls { get; init; } = new[] { "https://127.0.0.1:8443" };

    public string? CertificatePath { get; init; }

    public string? CertificatePassword { get; init; }

    public string Name { get; init; } = DefaultName;

    /// <summary>How long the upstream may stay silent before the gateway answers 504.</summary>
    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>When set, logs go to this file instead of the console (Start-CasbGateway uses it).</summary>
    public string? LogFile { get; init; }

    /// <summary>
    /// Who may read /metrics (loopback by default): the counters name apps and failure reasons, so they are not for
    /// every client of the gateway. For anyone else /metrics is an ordinary path of the app behind the host.
    /// </summary>
    public IPNetwork[] MetricsAllowedFrom { get; init; } = DefaultMetricsAllowedFrom;

    public static IPNetwork[] DefaultMetricsAllowedFrom { get; } = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];

    /// <summary>
    /// The largest request body the gateway passes on; null (the default) for no limit of its own. Bodies are streamed,
    /// never buffered, so the app's own limit is the one that matters; a larger body gets 413.
    /// </summary>
    public long? MaxRequestBodySize { get; init; }

    /// <summary>
    /// When set, activity goes to this PostgreSQL database (a <c>postgresql://</c> URI, password from PGPASSWORD or the
    /// passfile) instead of the store's activity files.
    /// </summary>
    public string? ActivityDatabase { get; init; }

    /// <summary>
    /// When set, activity also goes to this OTLP/HTTP logs URL (a collector or a SIEM), through a queue of its own, in
    /// addition to the files or the database.
    /// </summary>
    public Uri? ActivityOtlpEndpoint { get; init; }

    /// <summary>Headers sent with every OTLP request (an API key). Never logged.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ActivityOtlpHeaders { get; init; } = [];

    /// <summary>How OTLP requests are encoded: gzip (the default) or none.</summary>
    public CasbCore.Activity.OtlpCompression ActivityOtlpCompression { get; init; } = CasbCore.Activity.OtlpCompression.Gzip;

    /// <summary>Activity records each sink's queue holds while the sink is slow or failing, before it drops (and counts) them.</summary>
    public int ActivityQueueCapacity { get; init; } = CasbCore.Activity.ActivityPump.DefaultCapacity;

    /// <summary>How long a failing activity sink rests before the next try.</summary>
    public TimeSpan ActivityRetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the store file is re-checked when no file-system event arrives.</summary>
    public TimeSpan ConfigurationPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a start keeps reading a store that changes while it is read (a runbook writing in a loop) before it gives up.</summary>
    public TimeSpan StoreReadTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public static GatewayOptions Parse(IReadOnlyList<string> args)
    {
        string? store = null, certificate = null, name = null, logFile = null, activityDatabase = null;
        List<string>? urls = null;
        IPNetwork[] metricsAllowedFrom = DefaultMetricsAllowedFrom;
        TimeSpan timeout = TimeSpan.FromSeconds(100);
        long? maxRequestBodySize = null;
        Uri? otlp = null;
        var otlpHeaders = new List<KeyValuePair<string, string>>();
        CasbCore.Activity.OtlpCompression? otlpCompression = null;
        int activityQueueCapacity = CasbCore.Activity.ActivityPump.DefaultCapacity;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string Value()
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new ArgumentException($"The option {arg} needs a value.");
                }

                return args[++i];
            }

            switch (arg)
            {
                case "--store":
                    store = Value();
                    break;
                case "--urls":
                    urls = Value().Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
                    break;
                case "--certificate":
                    certificate = Value();
                    break;
                case "--name":
                    name = Value();
                    if (!CasbCore.Gateways.GatewayNames.IsValid(name))
                    {
                        // Part of the activity file's and every record's name: what Start-CasbGateway refuses, the gateway refuses.
                        throw new ArgumentException($"The option --name '{CasbCore.DisplayText.Safe(name)}' is not a gateway name: use letters, digits, '.', '_' and '-' only.");
                    }

                    break;
                case "--log-file":
                    logFile = Value();
                    break;
                case "--activity-database":
                    activityDatabase = Value();
                    try
                    {
                        CasbCore.Activity.PostgresActivity.ConnectionString(activityDatabase);
                    }
                    catch (Exception ex) when (ex is CasbException or UriFormatException or ArgumentException)
                    {
                        throw new ArgumentException($"--activity-database: {ex.Message}", ex);
                    }

                    if (!CasbCore.Store.ConfigurationStores.IsDatabaseUri(activityDatabase) && ConnectionStringHasPassword(activityDatabase))
                    {
                        // A URI with a password is refused above; a connection string must not carry one either.
                        throw new ArgumentException(
                            "--activity-database: the connection string has a password, and every local user can read a command line. Give postgresql://user@host:port/database; the password comes from PGPASSWORD or the passfile (PGPASSFILE, else ~/.pgpass).");
                    }

                    break;
                case "--activity-otlp":
                    otlp = Otlp(() => CasbCore.Activity.OtlpActivitySink.LogsUri(Value()), arg);
                    break;
                case "--activity-otlp-header":
                    otlpHeaders.Add(Otlp(() => CasbCore.Activity.OtlpActivitySink.ParseHeader(Value()), arg));
                    break;
                case "--activity-otlp-compression":
                    otlpCompression = Otlp(() => CasbCore.Activity.OtlpActivitySink.ParseCompression(Value()), arg);
                    break;
                case "--upstream-timeout":
                    string seconds = Value();
                    if (!double.TryParse(seconds, System.Globalization.CultureInfo.InvariantCulture, out double s) || s <= 0)
                    {
                        throw new ArgumentException($"--upstream-timeout '{seconds}' is not a positive number of seconds.");
                    }

                    timeout = TimeSpan.FromSeconds(s);
                    break;
                case "--max-request-body-size":
                    string bytes = Value();
                    if (!long.TryParse(bytes, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long size) || size <= 0)
                    {
                        throw new ArgumentException($"--max-request-body-size '{bytes}' is not a positive number of bytes.");
                    }

                    maxRequestBodySize = size;
                    break;
                case "--activity-queue-capacity":
                    string records = Value();
                    if (!int.TryParse(records, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out activityQueueCapacity)
                        || activityQueueCapacity is <= 0 or > CasbCore.Activity.ActivityPump.MaxCapacity)
                    {
                        throw new ArgumentException(
                            $"--activity-queue-capacity '{records}' is not a number of records from 1 to {CasbCore.Activity.ActivityPump.MaxCapacity}.");
                    }

                    break;
                case "--metrics-allow":
                    string ranges = Value();
                    try
                    {
                        metricsAllowedFrom = IPRanges.ParseAll(
                            ranges.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), "InvalidIPRange", "--metrics-allow");
                    }
                    catch (CasbException ex)
                    {
                        throw new ArgumentException(ex.Message, ex);
                    }

                    break;
                default:
                    throw new ArgumentException($"Unknown option '{arg}'.");
            }
        }

        if (string.IsNullOrWhiteSpace(store))
        {
            throw new ArgumentException("--store <path> is required.");
        }

        if (Environment.GetEnvironmentVariable(ActivityOtlpHeadersVariable) is { Length: > 0 } fromEnvironment)
        {
            foreach (string line in fromEnvironment.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                otlpHeaders.Add(Otlp(() => CasbCore.Activity.OtlpActivitySink.ParseHeader(line), ActivityOtlpHeadersVariable));
            }
        }

        if (otlpHeaders.Count > 0 && otlp is null)
        {
            throw new ArgumentException("OTLP headers were given without --activity-otlp <url>.");
        }

        if (otlpCompression is not null && otlp is null)
        {
            throw new ArgumentException("--activity-otlp-compression was given without --activity-otlp <url>.");
        }

        if (urls is { Count: 0 })
        {
            throw new ArgumentException("--urls is empty.");
        }

        return new GatewayOptions
        {
            StorePath = CasbCore.Store.ConfigurationStores.IsDatabaseUri(store) ? store.Trim() : Path.GetFullPath(store),
            Urls = urls ?? new List<string> { "https://127.0.0.1:8443" },
            CertificatePath = certificate is null ? null : Path.GetFullPath(certificate),
            CertificatePassword = CertificatePasswordFromEnvironment(),
            Name = string.IsNullOrWhiteSpace(name) ? DefaultName : name,
            UpstreamTimeout = timeout,
            LogFile = logFile is null ? null : Path.GetFullPath(logFile),
            MetricsAllowedFrom = metricsAllowedFrom,
            MaxRequestBodySize = maxRequestBodySize,
            ActivityDatabase = activityDatabase,
            ActivityOtlpEndpoint = otlp,
            ActivityOtlpHeaders = otlpHeaders,
            ActivityOtlpCompression = otlpCompression ?? CasbCore.Activity.OtlpCompression.Gzip,
            ActivityQueueCapacity = activityQueueCapacity,
        };
    }

    private static bool ConnectionStringHasPassword(string connectionString)
    {
        try
        {
            // The client key's password (SSL Password) as much as the server's.
            var settings = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            return settings.Password is { Length: > 0 } || settings.SslPassword is { Length: > 0 };
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            // Not shown: what could not be read may be the password.
            throw new ArgumentException("--activity-database: neither a postgresql://user@host:port/database URI nor a connection string.", ex);
        }
    }

    /// <summary>The value of the password variable, or the content of the file the file variable names without its line break.</summary>
    private static string? CertificatePasswordFromEnvironment()
    {
        string? password = Environment.GetEnvironmentVariable(CertificatePasswordVariable);
        if (Environment.GetEnvironmentVariable(CertificatePasswordFileVariable) is not { Length: > 0 } file)
        {
            return password;
        }

        if (!string.IsNullOrEmpty(password))
        {
            throw new ArgumentException($"Both ${CertificatePasswordVariable} and ${CertificatePasswordFileVariable} are set: set one.");
        }

        string content;
        try
        {
            content = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ArgumentException($"{CertificatePasswordFileVariable}: cannot read '{file}': {ex.Message}", ex);
        }

        // echo and editors end the file with a line break that is not part of the password; an empty file is no password.
        content = content.EndsWith("\r\n", StringComparison.Ordinal) ? content[..^2] : content.EndsWith('\n') ? content[..^1] : content;
        return content.Length > 0 ? content : null;
    }

    private static T Otlp<T>(Func<T> parse, string option)
    {
        try
        {
            return parse();
        }
        catch (CasbException ex)
        {
            throw new ArgumentException($"{option}: {ex.Message}", ex);
        }
    }
}
