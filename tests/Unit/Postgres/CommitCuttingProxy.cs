using System.Net;
using System.Net.Sockets;

namespace CasbModule.Tests.Postgres;

/// <summary>
/// A loopback TCP proxy in front of the test cluster that cuts the connection instead of passing on the server's answer
/// to a command: for COMMIT, the transaction is committed on the server but the client never hears so (the "commit
/// outcome unknown" case of a network cut or a server stopping at that moment); for COPY, the transaction dies unfinished.
/// Finds the CommandComplete message ('C', int32 length, the command tag) in the server's bytes.
/// </summary>
internal sealed class CommitCuttingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private int _cutsLeft;
    private int _cuts;
    private byte[] _tag = "COMMIT\0"u8.ToArray();

    public CommitCuttingProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections cut so far.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>
    /// Cuts the connection instead of passing on the next <paramref name="count"/> answers whose command tag starts with
    /// <paramref name="tag"/> ("COMMIT", "COPY").
    /// </summary>
    public void CutNext(string tag, int count = 1)
    {
        _tag = System.Text.Encoding.ASCII.GetBytes(tag);
        Volatile.Write(ref _cutsLeft, count);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, _target);
            _ = PipeAsync(client, server, watch: false);
            _ = PipeAsync(server, client, watch: true);
        }
    }

    private async Task PipeAsync(TcpClient from, TcpClient to, bool watch)
    {
        byte[] buffer = new byte[64 * 1024];
        byte[] tail = [];
        try
        {
            while (true)
            {
                int read = await from.GetStream().ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                if (watch && Volatile.Read(ref _cutsLeft) > 0)
                {
                    // The message may straddle two reads: search the last bytes of the previous one too.
                    byte[] window = [.. tail, .. buffer.AsSpan(0, read)];
                    if (HasCommandComplete(window, _tag) && Interlocked.Decrement(ref _cutsLeft) >= 0)
                    {
                        Interlocked.Increment(ref _cuts);
                        break;
                    }

                    tail = window[Math.Max(0, window.Length - 32)..];
                }

                await to.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception)
        {
            // Either side gone: the pipe ends, and so does the other one below.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    private static bool HasCommandComplete(byte[] window, byte[] tag)
    {
        for (int from = 0; ; )
        {
            int at = window.AsSpan(from).IndexOf(tag);
            if (at < 0)
            {
                return false;
            }

            at += from;
            // 'C' and a length under 256 just before the tag.
            if (at >= 5 && window[at - 5] == (byte)'C' && window[at - 4] == 0 && window[at - 3] == 0 && window[at - 2] == 0)
            {
                return true;
            }

            from = at + 1;
        }
    }
}
