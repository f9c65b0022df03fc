// Splits every GC pause of a .nettrace (dotnet-trace --providers Microsoft-Windows-DotNETRuntime:0x1:4) into
// suspension (GCSuspendEEBegin to End: every managed thread brought to a safe point), GC work (GCStart to GCEnd, with
// the marking stages from GCMarkWithType) and restart (GCRestartEEBegin to End).
// Usage: GcPauses <trace.nettrace> [-v] [<pauses out file: start us since epoch, length us, generation, type>]
using Microsoft.Diagnostics.Tracing;

string path = args[0];
bool verbose = args.Contains("-v");
string? pausesOut = args.Skip(1).FirstOrDefault(a => a != "-v");
var pauses = new List<Pause>();
Pause? current = null;
double seconds;
using (var source = new EventPipeEventSource(path))
{
    var clr = source.Clr;
    clr.GCSuspendEEStart += e => current = new Pause { Start = e.TimeStamp.ToUniversalTime(), SuspendBegin = e.TimeStampRelativeMSec };
    clr.GCSuspendEEStop += e => { if (current != null) current.SuspendEnd = e.TimeStampRelativeMSec; };
    clr.GCStart += e =>
    {
        if (current == null || current.GcStart != 0) return;
        current.GcStart = e.TimeStampRelativeMSec; current.Generation = e.Depth; current.Type = e.Type.ToString(); current.Count = e.Count;
    };
    clr.GCStop += e => { if (current != null && current.Count == e.Count) current.GcEnd = e.TimeStampRelativeMSec; };
    clr.GCMarkWithType += e => current?.Marks.Add(((MarkStage)e.Type, e.TimeStampRelativeMSec, (long)e.Promoted));
    clr.GCHeapStats += e =>
    {
        if (current == null) return;
        current.Promoted0 = e.TotalPromotedSize0; current.Promoted1 = e.TotalPromotedSize1; current.Gen2 = e.GenerationSize2; current.Pinned = e.PinnedObjectCount;
    };
    clr.GCRestartEEStart += e => { if (current != null) current.RestartBegin = e.TimeStampRelativeMSec; };
    clr.GCRestartEEStop += e =>
    {
        if (current == null) return;
        current.RestartEnd = e.TimeStampRelativeMSec; pauses.Add(current); current = null;
    };
    source.Process();
    seconds = source.SessionDuration.TotalSeconds;
}
Console.WriteLine($"trace {seconds:F1} s, {pauses.Count} pauses, {pauses.Sum(p => p.Total):F1} ms paused in all");
if (pausesOut != null)
    File.WriteAllLines(pausesOut, pauses.Select(p => $"{(p.Start - DateTime.UnixEpoch).Ticks / 10} {(long)(p.Total * 1000)} {p.Generation} {p.Type}"));
if (verbose)
    foreach (var p in pauses)
    {
        Console.WriteLine($"{p.SuspendBegin,10:F1} gc#{p.Count} gen{p.Generation} {p.Type}: suspend {p.Suspend:F2} gc {p.Work:F2} restart {p.Restart:F2} total {p.Total:F2} ms; promoted gen0 {p.Promoted0 / 1024} KB, gen1 {p.Promoted1 / 1024} KB; gen2 {p.Gen2 / 1e6:F1} MB; pinned {p.Pinned}");
        Console.WriteLine("    " + string.Join(", ", p.Stages().Select(s => $"{s.Stage} {s.Ms:F2} ms {s.Bytes / 1024} KB")));
    }

foreach (var group in pauses.GroupBy(p => p.Count == 0 ? "suspension without a GC" : $"gen{p.Generation} {p.Type}").OrderBy(g => g.Key))
{
    var l = group.ToList();
    double total = l.Sum(p => p.Total);
    Console.WriteLine($"== {group.Key}: {l.Count} pauses");
    Console.WriteLine($"  total     {Summary(l.Select(p => p.Total))}");
    Console.WriteLine($"  suspend   {Summary(l.Select(p => p.Suspend))}  ({l.Sum(p => p.Suspend) / total:P0} of the paused time)");
    Console.WriteLine($"  gc work   {Summary(l.Select(p => p.Work))}  ({l.Sum(p => p.Work) / total:P0})");
    Console.WriteLine($"  restart   {Summary(l.Select(p => p.Restart))}  ({l.Sum(p => p.Restart) / total:P0})");
    Console.WriteLine($"  other     {Summary(l.Select(p => p.Total - p.Suspend - p.Work - p.Restart))}  (between suspension and GCStart, GCEnd and restart)");
    foreach (var stage in l.SelectMany(p => p.Stages()).GroupBy(s => s.Stage).OrderBy(s => s.Key))
        Console.WriteLine($"  {stage.Key,-16} ms {Summary(stage.Select(s => s.Ms))}; KB promoted, median {Median(stage.Select(s => s.Bytes / 1024.0)):F0}");
    Console.WriteLine($"  promoted from gen0 KB, median {Median(l.Select(p => p.Promoted0 / 1024.0)):F0}; pinned objects, median {Median(l.Select(p => (double)p.Pinned)):F0}; gen2 MB, median {Median(l.Select(p => p.Gen2 / 1e6)):F1}");
}

static double Median(IEnumerable<double> xs) { var a = xs.Order().ToArray(); return a.Length == 0 ? 0 : a[a.Length / 2]; }

static string Summary(IEnumerable<double> xs)
{
    var a = xs.Order().ToArray();
    return a.Length == 0 ? "-" : $"median {a[a.Length / 2]:F2} p90 {a[Math.Min(a.Length - 1, (int)(0.9 * a.Length))]:F2} max {a[^1]:F2} mean {a.Average():F2}";
}

// GCMarkWithType's root kinds; each event is fired when its stage ends.
enum MarkStage { Stack = 0, FinalizeQueue = 1, Handles = 2, OlderGeneration = 3, SizedRef = 4, Overflow = 5, DependentHandles = 6, NewFinalizeQueue = 7, Steal = 8, BgcSaved = 9, AfterMarking = 99 }

sealed class Pause
{
    public DateTime Start;
    public double SuspendBegin, SuspendEnd, GcStart, GcEnd, RestartBegin, RestartEnd;
    public int Generation = -1, Count;
    public string Type = "";
    public long Promoted0, Promoted1, Gen2, Pinned;
    public List<(MarkStage Stage, double At, long Bytes)> Marks = new();
    public double Suspend => SuspendEnd - SuspendBegin;
    public double Work => GcStart == 0 ? 0 : (GcEnd > 0 ? GcEnd : RestartBegin) - GcStart;
    public double Restart => RestartEnd - RestartBegin;
    public double Total => RestartEnd - SuspendBegin;

    // Each marking stage's time (from the previous stage's end, the first from GCStart) and what it promoted; then the
    // time from the last stage to GCEnd (plan, relocate, compact or sweep).
    public IEnumerable<(MarkStage Stage, double Ms, long Bytes)> Stages()
    {
        if (Marks.Count == 0) yield break;
        double previous = GcStart;
        foreach (var m in Marks) { yield return (m.Stage, m.At - previous, m.Bytes); previous = m.At; }
        yield return (MarkStage.AfterMarking, (GcEnd > 0 ? GcEnd : RestartBegin) - previous, 0);
    }
}
