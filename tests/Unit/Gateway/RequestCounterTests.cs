using System.Diagnostics.Metrics;
using CasbGateway.Telemetry;
using CsCheck;
using Microsoft.Extensions.DependencyInjection;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The request counter (<c>casb.gateway.requests</c>) keeps the cell its thread added to last: whatever the order of apps,
/// actions and statuses, and with two gateways' counters used from one thread, each counts exactly its own requests.
/// </summary>
public sealed class RequestCounterTests
{
    [Fact]
    public void Requests_counted_in_any_order_from_two_gateways_on_one_thread_are_each_counted_by_their_own_key()
    {
        string?[] apps = ["Sample App", "Other App", null];
        string[] actions = ["Allow", "Block", "Monitor"];
        int[] statuses = [200, 403, 502];
        Gen.Int.Array[1, 300].Sample(draws =>
        {
            using ServiceProvider first = new ServiceCollection().AddMetrics().BuildServiceProvider();
            using ServiceProvider second = new ServiceCollection().AddMetrics().BuildServiceProvider();
            GatewayMetrics[] metrics = [new(first.GetRequiredService<IMeterFactory>()), new(second.GetRequiredService<IMeterFactory>())];
            var expected = new[] { new Dictionary<string, long>(), new Dictionary<string, long>() };
            foreach (int draw in draws)
            {
                int gateway = draw & 1;
                uint d = (uint)draw >> 1;
                // The same objects mostly, now and then an equal copy (a name read again from the configuration).
                string? app = apps[d % 3] is { } name && d % 7 == 0 ? new string(name.AsSpan()) : apps[d % 3];
                string action = actions[d / 3 % 3];
                int status = statuses[d / 9 % 3];
                metrics[gateway].RecordRequest(app, action, status);
                string key = $"{app ?? "(none)"}|{action}|{status}";
                expected[gateway][key] = expected[gateway].GetValueOrDefault(key) + 1;
            }

            for (int g = 0; g < 2; g++)
            {
                Assert.Equal(expected[g].OrderBy(k => k.Key), Read(g == 0 ? first : second).OrderBy(k => k.Key));
            }
        });
    }

    /// <summary>The counter's cells as /metrics would export them, for the gateway whose meter factory is <paramref name="services"/>.</summary>
    private static Dictionary<string, long> Read(ServiceProvider services)
    {
        var counts = new Dictionary<string, long>();
        // Taken before the listener starts: a listener hears instruments published on any thread (CsCheck runs samples in
        // parallel), possibly after this sample's providers are disposed, so its callback must not ask one.
        IMeterFactory factory = services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Both gateways' meters are named CasbGateway: this one's is the one its factory made.
            if (instrument.Name == "casb.gateway.requests" && instrument.Meter.Scope == factory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var byName = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                byName[tag.Key] = tag.Value;
            }

            counts[$"{byName["app"]}|{byName["action"]}|{byName["status"]}"] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return counts;
    }
}
