using System.Net;
using Microsoft.AspNetCore.Connections.Features;

namespace CasbGateway.Enforcement;

/// <summary>
/// Windows authentication (NTLM, Negotiate) authenticates the app's connection, not the request: IIS treats every later
/// request on that connection as the same user, with no Authorization header. Through the gateway's shared pool, the
/// upstream connection a user had authenticated went back to the pool, and the next request of anyone else (another
/// device, another user the gateway had decided as such) that drew it ran as that user. Once a client sends NTLM or
/// Negotiate credentials, its connection's requests go to the app over upstream connections of their own, closed with
/// the client's connection, as nginx's <c>ntlm</c> directive binds them; the shared pool never carries such credentials.
/// </summary>
internal static class ConnectionBoundUpstream
{
    // By the client connection's id: an HTTP/2 stream's own connection items are not the connection's (Kestrel pools streams).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, HttpMessageInvoker> Bound = new(StringComparer.Ordinal);

    /// <summary>
    /// The invoker for this request: the client connection's own once it has sent connection-based credentials, else
    /// null (the shared pool). A connection whose end cannot be observed is never bound: its request goes out with
    /// "Connection: close" instead (<see cref="MustClose"/>), so no upstream connection it authenticated is reused.
    /// </summary>
    public static HttpMessageInvoker? For(HttpContext context, Func<HttpMessageInvoker> create)
    {
        string connection = context.Connection.Id;
        if (Bound.TryGetValue(connection, out HttpMessageInvoker? invoker))
        {
            return invoker;
        }

        if (!CarriesConnectionCredentials(context.Request.Headers.Authorization)
            || context.Features.Get<IConnectionCompleteFeature>() is not { } complete)
        {
            return null;
        }

        lock (Bound)
        {
            if (Bound.TryGetValue(connection, out invoker))
            {
                return invoker;
            }

            HttpMessageInvoker own = create();
            Bound[connection] = own;
            // When the client's connection is done (not when one of its HTTP/2 streams is).
            complete.OnCompleted(static state =>
            {
                var (id, bound) = ((string, HttpMessageInvoker))state;
                Bound.TryRemove(id, out _);
                bound.Dispose();
                return Task.CompletedTask;
            }, (connection, own));
            return own;
        }
    }

    /// <summary>True for a request with connection-based credentials that could not be given upstream connections of its own.</summary>
    public static bool MustClose(HttpContext context, HttpMessageInvoker used, HttpMessageInvoker shared) =>
        ReferenceEquals(used, shared) && CarriesConnectionCredentials(context.Request.Headers.Authorization);

    /// <summary>NTLM or Negotiate (Kerberos or NTLM inside SPNEGO) credentials, in any of the client's Authorization lines.</summary>
    internal static bool CarriesConnectionCredentials(Microsoft.Extensions.Primitives.StringValues authorization)
    {
        foreach (string? value in authorization)
        {
            ReadOnlySpan<char> scheme = value.AsSpan().TrimStart();
            int end = scheme.IndexOfAny(' ', '\t');
            scheme = end < 0 ? scheme : scheme[..end];
            if (scheme.Equals("NTLM", StringComparison.OrdinalIgnoreCase) || scheme.Equals("Negotiate", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
