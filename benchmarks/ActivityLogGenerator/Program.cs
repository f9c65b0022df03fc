using System.Diagnostics;
using CasbCore.Activity;

// Writes one UTC day of gateway-like activity records through a sink (the file sink, so the block index is written as a
// gateway writes it, or the PostgreSQL sink with --postgres) and prints the correlation ids the query benchmark looks
// up, one per line, after "ids:". With --query it times one query in this process through the reader
// Get-CasbActivity uses (the file reader, or the PostgreSQL reader for a postgresql:// URI).
// Usage: ActivityLogGenerator <activity folder | --postgres URI> <records> [<gateway name>]
//        ActivityLogGenerator --query <activity folder | URI> First5|CorrelationId|FullScan|User [<id>]
// (FullScan: -Action Block -First 1, which no record matches; User: -User user1234@contoso.com -First 5.)
if (args.Length >= 3 && args[0] == "--query")
{
    IActivityReader reader = args[1].StartsWith("postgresql://", StringComparison.Ordinal)
        ? new PostgresActivityReader(args[1])
        : new FileActivityReader(args[1]);
    ActivityQuery query = args[2] switch
    {
        "First5" => new ActivityQuery { First = 5 },
        "CorrelationId" => new ActivityQuery { CorrelationId = args[3] },
        "FullScan" => new ActivityQuery { Actions = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Block" }, First = 1 },
        "User" => new ActivityQuery { User = new ActivityPattern("user1234@contoso.com"), First = 5 },
        _ => throw new ArgumentException($"Unknown query {args[2]}."),
    };
    var timer = Stopwatch.StartNew();
    int found = reader.Read(query).Count();
    Console.WriteLine($"{timer.Elapsed.TotalMilliseconds:F1} {found}");
    return 0;
}

bool postgres = args.Length > 0 && args[0] == "--postgres";
int first = postgres ? 1 : 0;
if (args.Length < first + 2 || !int.TryParse(args[first + 1], out int count) || count < 1)
{
    Console.Error.WriteLine("Usage: ActivityLogGenerator <activity folder | --postgres URI> <records> [<gateway name>]");
    return 2;
}

string target = args[first];

string gateway = args.Length > first + 2 ? args[first + 2] : "default";
var day = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

// The records of one busy day squeezed into the day: evenly spaced, the spacing the count allows.
double spacingTicks = TimeSpan.TicksPerDay / (double)count;
string[] apps = ["Microsoft Online Services", "Salesforce", "Contoso Intranet", "Fabrikam HR"];
string[] paths = ["/assets/app.js", "/assets/site.css", "/api/v1/messages?folder=inbox&top=50", "/images/logo.png", "/"];
var random = new Random(42);
var lookups = new List<string>();
var watch = Stopwatch.StartNew();
using (IActivitySink sink = postgres ? new PostgresActivitySink(target) : new FileActivitySink(target, gateway))
{
    var batch = new List<ActivityRecord>(4096);
    for (int i = 0; i < count; i++)
    {
        DateTimeOffset at = day.AddTicks((long)(i * spacingTicks));
        int user = random.Next(2000);
        var record = new ActivityRecord
        {
            Time = at,
            CorrelationId = Guid.CreateVersion7(at).ToString("N"),
            App = apps[user % apps.Length],
            Host = "portal.contoso.com",
            Path = paths[random.Next(paths.Length)],
            Method = "GET",
            User = $"user{user}@contoso.com",
            UserSource = "Certificate",
            SourceIp = $"10.{user % 250}.{random.Next(250)}.{random.Next(250)}",
            UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            ClientAppType = "Browser",
            DeviceTags = ["Valid client certificate"],
            CertificateSubject = $"CN=user{user}@contoso.com, O=Contoso",
            CertificateIssuer = "CN=Contoso Issuing CA 1, O=Contoso",
            CertificateThumbprint = Convert.ToHexString(BitConverter.GetBytes(user * 2654435761L)) + "0F3C9A7E21B4D8E6",
            CertificateStatus = "Valid",
            ConditionalAccess = [new ActivityConditionalAccessResult { Policy = "Route unmanaged devices", Outcome = "Applied" }],
            MatchedPolicies = ["Allow managed devices"],
            Action = "Allow",
            HttpStatus = 200,
            UpstreamLatencyMs = 3.25 + random.Next(100) / 10.0,
            DecisionLatencyMs = 0.04,
            Revision = 17,
            Gateway = gateway,
        };
        batch.Add(record);
        if (batch.Count == batch.Capacity)
        {
            sink.WriteBatch(batch);
        }

        // Ids spread over the day for the lookup benchmark: early, middle, late.
        if (i == count / 10 || i == count / 2 || i == count - count / 10)
        {
            lookups.Add(record.CorrelationId);
        }
    }

    sink.WriteBatch(batch);
}

double seconds = watch.Elapsed.TotalSeconds;
long bytes = postgres ? 0 : new DirectoryInfo(target).EnumerateFiles("*.jsonl").Sum(f => f.Length);
Console.WriteLine($"wrote {count} records to the {(postgres ? "postgresql" : "file")} sink in {seconds:F1} s ({count / seconds:F0} records/s; {bytes / count} bytes a record on file)");
Console.WriteLine("ids:");
foreach (string id in lookups)
{
    Console.WriteLine(id);
}

return 0;
