using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// An upstream app on loopback that answers each connection with bytes a test writes itself: for what no framework
/// writes on request (an HTTP/1.0 status line, a body read to the close, a 1xx before the answer, a reset mid-body).
/// </summary>
internal sealed class RawUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<NetworkStream, string, Task> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private RawUpstream(Func<NetworkStream, string, Task> answer)
    {
        _answer = answer;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The upstream's address, as an app's upstream is configured.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <param name="answer">Given the connection and the request's head (request line and headers, as text), writes the answer; the connection is closed after it.</param>
    public static RawUpstream Start(Func<NetworkStream, string, Task> answer) => new(answer);

    /// <summary>Reads one request head (to the blank line) byte by byte, so no byte of the body is taken from the stream.</summary>
    public static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        byte[] one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                break;
            }

            head.Add(one[0]);
        }

        return Encoding.Latin1.GetString(head.ToArray());
    }

    public static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.Latin1.GetBytes(text)).AsTask();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        NetworkStream stream = client.GetStream();
                        await _answer(stream, await ReadHeadAsync(stream));
                        await stream.FlushAsync();
                        client.Client.Shutdown(SocketShutdown.Send);
                        await Task.Delay(100);
                    }
                    catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                    {
                    }
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
