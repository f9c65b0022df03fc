using CasbCore.Model;
using CasbCore.Store;
using CasbCore.Store.Postgres;
using CasbGateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CasbModule.Tests.Postgres;

/// <summary>A gateway on a PostgreSQL store: /readyz follows the database, not the next poll.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresReadinessTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Readyz_says_degraded_when_the_database_stops_before_any_poll_and_ready_again_by_itself_when_it_is_back()
    {
        string uri = postgres.CreateStoreUri("readyz");
        using (var admin = new PostgresStore(PostgresStoreUri.Parse(uri)))
        {
            admin.Update(c => c.Groups.Add(new GroupEntry { Name = "kept" }));
        }

        // Polling once an hour: within this test only the LISTEN connection can tell the gateway the database went away.
        var options = new GatewayOptions
        {
            StorePath = uri, Urls = ["https://127.0.0.1:0"], Name = "readyz", ConfigurationPollInterval = TimeSpan.FromHours(1),
        };
        await using WebApplication gateway = GatewayApp.Build(options);
        await gateway.StartAsync();
        using HttpClient client = Client(gateway);
        Assert.Equal("Ready: revision 1", (await client.GetStringAsync("/readyz")).Split(" (")[0]);
        // The listener is connected once a change reaches the gateway: with polling once an hour only the LISTEN connection
        // (a notification, or the look it takes when it connects) can bring revision 2. (Not pg_stat_activity's last query:
        // the listener's keep-alive ping replaces its text.)
        using (var admin = new PostgresStore(PostgresStoreUri.Parse(uri)))
        {
            admin.Update(c => c.Groups.Add(new GroupEntry { Name = "heard" }));
        }

        await ReadyzUntil(client, body => body.StartsWith("Ready: revision 2 ", StringComparison.Ordinal), "at revision 2 (the gateway listens)", seconds: 30);

        string during;
        postgres.Cluster.Stop();
        try
        {
            during = await ReadyzUntil(client, body => body.Contains("degraded", StringComparison.Ordinal), "degraded");
        }
        finally
        {
            postgres.Cluster.Restart();
        }

        // Still ready (the last good revision is enforced), with the reason: the change notifications are lost.
        Assert.StartsWith("Ready: revision 2 ", during);
        Assert.True(
            during.Contains("; degraded: ", StringComparison.Ordinal) && during.Contains($"listening for changes on '{uri}' failed: ", StringComparison.Ordinal),
            during);

        string after = await ReadyzUntil(client, body => !body.Contains("degraded", StringComparison.Ordinal), "ready again", seconds: 30);
        Assert.StartsWith("Ready: revision 2 ", after);
        await gateway.StopAsync();
    }

    private static async Task<string> ReadyzUntil(HttpClient client, Func<string, bool> done, string what, int seconds = 10)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            using HttpResponseMessage response = await client.GetAsync("/readyz");
            Assert.Equal(200, (int)response.StatusCode); // degraded or not, the gateway stays in rotation
            string body = await response.Content.ReadAsStringAsync();
            if (done(body))
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/readyz not {what} within {seconds} s (a guard, not a timing); last answer: {body.Trim()}");
            await Task.Delay(50);
        }
    }

    private static Task Until(Func<bool> condition, string what, int seconds = 10) => Until(() => Task.FromResult(condition()), what, seconds);

    // A guard against hanging, not a timing: the assertion is on the state reached.
    private static async Task Until(Func<Task<bool>> condition, string what, int seconds = 10)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not reached within {seconds} s: {what}");
            await Task.Delay(50);
        }
    }

    private static HttpClient Client(WebApplication gateway)
    {
        var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        string address = gateway.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new HttpClient(handler) { BaseAddress = new Uri(address) };
    }
}
