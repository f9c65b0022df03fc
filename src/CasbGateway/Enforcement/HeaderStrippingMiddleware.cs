using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace CasbGateway.Enforcement;

/// <summary>
/// Removes every inbound header a client could use to forge an identity, a device certificate, its address or
/// the URL it asked for (<see cref="ForgeableHeaders"/>) before anything reads the request. The trusted identity
/// header and X-Forwarded-For are honoured only from a trusted proxy: their values are captured for the engine
/// first, then the headers go too.
/// </summary>
internal sealed class HeaderStrippingMiddleware
{
    private readonly RequestDelegate _next;

    public HeaderStrippingMiddleware(RequestDelegate next)
    {
        _next = next;
    }

    public Task InvokeAsync(HttpContext context)
    {
        GatewayRequestFeature feature = context.Features.GetRequiredFeature<GatewayRequestFeature>();
        IHeaderDictionary headers = context.Request.Headers;
        bool fromTrustedProxy = feature.State?.IsTrustedProxy(feature.RemoteAddress) == true;
        if (fromTrustedProxy)
        {
            if (feature.State!.IdentityHeader is { } identityHeader && headers.TryGetValue(identityHeader, out StringValues identity)
                && !StringValues.IsNullOrEmpty(identity))
            {
                feature.IdentityHeaderValue = identity.ToString();
            }

            if (headers.TryGetValue("X-Forwarded-For", out StringValues forwardedFor) && !StringValues.IsNullOrEmpty(forwardedFor))
            {
                feature.TrustedForwardedFor = forwardedFor.ToString();
                if (LastAddress(feature.TrustedForwardedFor) is { } client)
                {
                    feature.ClientAddress = client;
                }
            }
        }

        Strip(headers, feature.State?.IdentityHeader);
        return _next(context);
    }

    /// <summary>Removes the forgeable headers (and the identity header, when named) from <paramref name="headers"/>.</summary>
    public static void Strip(IHeaderDictionary headers, string? identityHeader)
    {
        List<string>? remove = null;
        // The pairs, not Keys: Kestrel builds a new case-insensitive HashSet of the names for every Keys call.
        foreach (KeyValuePair<string, StringValues> header in headers)
        {
            if (ForgeableHeaders.IsForgeable(header.Key, identityHeader))
            {
                (remove ??= new List<string>()).Add(header.Key);
            }
        }

        if (remove is not null)
        {
            foreach (string name in remove)
            {
                headers.Remove(name);
            }
        }
    }

    // The right-most entry is the one the trusted proxy itself added.
    private static IPAddress? LastAddress(string forwardedFor)
    {
        int comma = forwardedFor.LastIndexOf(',');
        string last = (comma < 0 ? forwardedFor : forwardedFor[(comma + 1)..]).Trim();
        return IPAddress.TryParse(last, out IPAddress? address) ? address : null;
    }
}
