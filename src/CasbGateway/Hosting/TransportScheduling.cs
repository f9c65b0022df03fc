using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace CasbGateway.Hosting;

/// <summary>
/// Where Kestrel runs what follows a socket read or write. By default each step crosses threads twice: a completed
/// read is handed from the thread that completed it to a pool thread for TLS and HTTP, and every write is queued to
/// Kestrel's I/O queue before it reaches the socket. A new mTLS connection takes four such steps before its first
/// request (ClientHello in, the server's flight out, the client's certificate flight in, the final flight out), and on
/// a small machine most of those hops wake a sleeping thread: 13-16 context switches per handshake here, against
/// nginx's 2. Inline, the TLS and HTTP work runs on the pool thread that completed the read, and writes go to the
/// socket from the thread that made them. Socket completions themselves stay on the thread pool (the runtime's inline
/// completions, which would run the handshakes' RSA work on the single epoll thread, stay off), so this changes only
/// which pool thread runs a step: a step that waits (a first CRL download, within its timeout) holds a pool thread as
/// it did before.
/// </summary>
internal static class TransportScheduling
{
    /// <summary>Kestrel's socket transport options (<c>WebHost.UseSockets</c>); the bare forwarder applies the same.</summary>
    public static void Configure(SocketTransportOptions options) => options.UnsafePreferInlineScheduling = true;
}
