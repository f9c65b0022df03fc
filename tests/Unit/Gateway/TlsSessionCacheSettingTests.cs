using System.Text.Json;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// The gateway's TLS server session cache holds one session, as nginx's default (<c>ssl_session_cache none</c>), not
/// .NET's 20,480: a runtime setting (<c>System.Net.Security.TlsCacheSize</c>) that only the gateway's own process reads,
/// from its runtimeconfig, so it is checked there; the bare forwarder, the benchmark's floor, must carry the same TLS
/// settings. The in-process gateway tests run in the test host, without it: what it changes over real TLS (a session
/// id is not resumed after another handshake; tickets still are) was checked against the built gateway with
/// <c>openssl s_client -sess_out/-sess_in</c> (docs/benchmarks.md, "Fourth pass").
/// </summary>
public sealed class TlsSessionCacheSettingTests
{
    [Theory]
    [InlineData("CasbGateway")]
    [InlineData("BareForwarder")]
    public void The_server_session_cache_holds_one_session(string program)
    {
        string path = Path.Combine(AppContext.BaseDirectory, program + ".runtimeconfig.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement properties = document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Net.Security.TlsCacheSize", out JsonElement size), $"{path} does not set System.Net.Security.TlsCacheSize");
        // 0 would mean unlimited to .NET; anything but 1 is not nginx's "none".
        Assert.Equal("1", size.ToString());
    }
}
