using System.Net;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// An app with Windows authentication (IIS: NTLM or Negotiate) authenticates its connection, and takes every later request
/// on it for the same user. Through the gateway's shared upstream pool, another client's request drew the connection
/// Alice had authenticated and was answered as Alice. Each client connection that sends such credentials now has
/// upstream connections of its own.
/// </summary>
public sealed class ConnectionAuthenticationTests
{
    [Theory]
    [InlineData("NTLM", "1.1")]
    [InlineData("Negotiate", "1.1")]
    [InlineData("NTLM", "2.0")]
    [InlineData("negotiate", "2.0")]
    public async Task A_connection_a_user_authenticated_at_the_app_never_serves_another_client(string scheme, string version)
    {
        await using RawUpstream upstream = StartWindowsAuthenticationApp(scheme);
        await using GatewayHarness harness = await GatewayHarness.StartAsync(upstreamOverride: upstream.Url);
        harness.Decider.Decide = (state, request) => harness.Allow(state, request);
        using HttpClient alice = harness.CreateClient(version: Version.Parse(version));

        // The three legs on one client connection, then a request that relies on the authenticated connection.
        using HttpResponseMessage challenge = await alice.SendAsync(Authorized("/", $"{scheme} TYPE1"));
        using HttpResponseMessage signedIn = await alice.SendAsync(Authorized("/", $"{scheme} TYPE3-alice"));
        using HttpResponseMessage later = await alice.GetAsync("/later");

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.OK), (challenge.StatusCode, signedIn.StatusCode));
        if (version == "1.1")
        {
            // Over HTTP/2 a later request without credentials may be challenged again (see the report): never answered as another.
            Assert.Equal((HttpStatusCode.OK, "hello alice"), (later.StatusCode, await later.Content.ReadAsStringAsync()));
        }

        // Other clients, one after another and at once: none is answered as Alice.
        for (int i = 0; i < 4; i++)
        {
            HttpResponseMessage[] others = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                using HttpClient other = harness.CreateClient(version: Version.Parse(version));
                return await other.GetAsync("/");
            }));
            foreach (HttpResponseMessage other in others)
            {
                Assert.Equal((HttpStatusCode.Unauthorized, ""), (other.StatusCode, await other.Content.ReadAsStringAsync()));
                other.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("NTLM abc", true)]
    [InlineData("  ntlm abc", true)]
    [InlineData("Negotiate YII=", true)]
    [InlineData("NEGOTIATE\tYII=", true)]
    [InlineData("Bearer abc", false)]
    [InlineData("Basic YWxpY2U6cHc=", false)]
    [InlineData("NTLMv2 abc", false)]
    [InlineData("", false)]
    public void Connection_based_credentials_are_told_by_their_scheme(string authorization, bool connectionBased) =>
        Assert.Equal(connectionBased, CasbGateway.Enforcement.ConnectionBoundUpstream.CarriesConnectionCredentials(authorization));

    private static HttpRequestMessage Authorized(string path, string authorization) =>
        new(HttpMethod.Get, path) { Headers = { { "Authorization", authorization } } };

    /// <summary>IIS's Windows authentication, in short: a connection is challenged, then authenticated, then every request on it is that user's.</summary>
    private static RawUpstream StartWindowsAuthenticationApp(string scheme) => RawUpstream.Start(async (stream, head) =>
    {
        string? user = null;
        bool challenged = false;
        while (head.Length > 0)
        {
            string credentials = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Authorization:", StringComparison.OrdinalIgnoreCase))?[14..].Trim() ?? "";
            string token = credentials.Length > scheme.Length ? credentials[(scheme.Length + 1)..] : "";
            if (token == "TYPE1")
            {
                challenged = true;
                user = null;
            }
            else if (token.StartsWith("TYPE3-", StringComparison.Ordinal) && challenged)
            {
                user = token[6..];
            }

            string answer = user is not null && token != "TYPE1"
                ? $"HTTP/1.1 200 OK\r\nContent-Length: {6 + user.Length}\r\n\r\nhello {user}"
                : $"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: {scheme}{(challenged ? " CHALLENGE" : "")}\r\nContent-Length: 0\r\n\r\n";
            await RawUpstream.WriteAsync(stream, answer);
            await stream.FlushAsync();
            if (head.Contains("Connection: close", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            head = await RawUpstream.ReadHeadAsync(stream);
        }
    });
}
