using System.Text.RegularExpressions;
using CasbCore.Certificates;
using CasbGateway.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The instruments whose tags take a few known values export at most <see cref="GatewayMetrics.FewSeriesLimit"/> series
/// each, instead of OpenTelemetry's 2,000 preallocated points (a 144 KB array on the large object heap per instrument;
/// docs/benchmarks.md, "Seventh pass: memory"). The limit must never cut a series: every value their tags can take is
/// exported, none folded into OpenTelemetry's overflow series.
/// </summary>
[Collection(GatewayMetricsCollection.Name)]
public sealed partial class MetricSeriesLimitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_started_gateway_adds_less_than_a_megabyte_to_the_large_object_heap()
    {
        long before = LargeObjectHeapBytes();
        long added;
        await using (GatewayHarness harness = await GatewayHarness.StartAsync())
        {
            using HttpClient scraper = harness.CreateClient();
            Assert.Contains("casb_gateway_configuration_revision", await scraper.GetStringAsync("/metrics"));
            added = LargeObjectHeapBytes() - before;
        }

        // Its 13 instruments at OpenTelemetry's default of 2,000 series: 13 arrays of 144 KB, 1.9 MB. Now the three
        // tagged by app (requests, upstream and client errors) and the Prometheus exporter's buffer.
        output.WriteLine($"large object heap: {added:N0} bytes more with a gateway started and scraped");
        Assert.True(added < 1 << 20, $"a started gateway added {added:N0} bytes to the large object heap.");
    }

    // Live bytes on the large object heap after a full, compacting collection (the whole process: this collection runs alone).
    private static long LargeObjectHeapBytes()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GCGenerationInfo loh = GC.GetGCMemoryInfo(GCKind.FullBlocking).GenerationInfo[3];
        return loh.SizeAfterBytes - loh.FragmentationAfterBytes;
    }

    [Fact]
    public async Task Every_certificate_failure_reason_and_handshake_kind_is_its_own_series_under_the_limit()
    {
        string[] reasons = Enum.GetNames<CertificateFailureReason>();
        Assert.True(reasons.Length <= GatewayMetrics.FewSeriesLimit, $"{reasons.Length} certificate failure reasons, {GatewayMetrics.FewSeriesLimit} series exported at most.");

        await using GatewayHarness harness = await GatewayHarness.StartAsync();
        GatewayMetrics metrics = harness.GatewayServices.GetRequiredService<GatewayMetrics>();
        foreach (string reason in reasons)
        {
            metrics.RecordCertificateFailure(reason);
        }

        metrics.RecordTlsHandshake(clientCertificate: true);
        metrics.RecordTlsHandshake(clientCertificate: false);

        using HttpClient scraper = harness.CreateClient();
        string exported = "";
        HashSet<string> seen = [];
        for (int i = 0; i < 50 && seen.Count < reasons.Length; i++)
        {
            exported = await scraper.GetStringAsync("/metrics");
            seen = FailureLine().Matches(exported).Select(m => m.Groups["reason"].Value).ToHashSet();
            if (seen.Count < reasons.Length)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(reasons.Order(), seen.Order());
        Assert.Contains("client_certificate=\"present\"", exported);
        Assert.Contains("client_certificate=\"absent\"", exported);
        Assert.DoesNotContain("otel_metric_overflow", exported);
    }

    [GeneratedRegex(@"^casb_gateway_certificate_failures_total\{[^}]*reason=""(?<reason>[^""]+)""[^}]*\} 1\b", RegexOptions.Multiline)]
    private static partial Regex FailureLine();
}
