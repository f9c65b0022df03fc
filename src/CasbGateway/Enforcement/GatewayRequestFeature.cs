using System.Net;
using CasbCore.Policies;
using CasbGateway.Configuration;

namespace CasbGateway.Enforcement;

/// <summary>What the enforcement middlewares learn about one request, read back by the activity record.</summary>
internal sealed class GatewayRequestFeature
{
    // What most requests never set (a trusted proxy's headers, sign-in, a refusal, a file, an error) lives in an object made
    // on the first set: one reference instead of nine in the object every request allocates (docs/benchmarks.md, "Sixth
    // pass: allocation"). Reading an unset one gives null as before.
    private RareParts? _rare;

    // Where a rare part is set: made on the first non-null value; a null set before it changes nothing.
    private RareParts? RareFor(object? value) => value is null ? _rare : _rare ??= new RareParts();

    /// <summary>The gateway's own, unique per request.</summary>
    public required string CorrelationId { get; init; }

    /// <summary>The W3C trace id the request runs under (the client's traceparent when sent): recorded, never an id.</summary>
    public string? TraceId { get; init; }

    public required DateTimeOffset At { get; init; }

    /// <summary>The configuration revision taken once at the start of the request.</summary>
    public EngineState? State { get; init; }

    /// <summary>The TCP peer, IPv4-mapped addresses unmapped.</summary>
    public IPAddress? RemoteAddress { get; init; }

    /// <summary>The client per X-Forwarded-For when the peer is a trusted proxy (null when its entry is no address); else the peer.</summary>
    public IPAddress? ClientAddress { get; set; }

    /// <summary>The inbound X-Forwarded-For of a trusted proxy, extended when forwarding.</summary>
    public string? TrustedForwardedFor
    {
        get => _rare?.TrustedForwardedFor;
        set => RareFor(value)?.TrustedForwardedFor = value;
    }

    /// <summary>The trusted identity header's value, captured before the header is stripped.</summary>
    public string? IdentityHeaderValue
    {
        get => _rare?.IdentityHeaderValue;
        set => RareFor(value)?.IdentityHeaderValue = value;
    }

    /// <summary>The claims of the session signed in at the gateway, for an app that signs users in; null otherwise.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? SignInClaims
    {
        get => _rare?.SignInClaims;
        set => RareFor(value)?.SignInClaims = value;
    }

    /// <summary>The canonical path the engine decided on; exactly this path (and the query) is forwarded.</summary>
    public RequestPath? Path { get; set; }

    /// <summary>Set when the gateway refused the request itself before deciding (an ambiguous path: 400): the message shown and logged.</summary>
    public string? RefusedMessage
    {
        get => _rare?.RefusedMessage;
        set => RareFor(value)?.RefusedMessage = value;
    }

    /// <summary>The raw request path (without the query) of a refused request, for the activity record.</summary>
    public string? RefusedPath
    {
        get => _rare?.RefusedPath;
        set => RareFor(value)?.RefusedPath = value;
    }

    public AccessRequest? Request { get; set; }

    public AccessDecision? Decision { get; set; }

    /// <summary>The published app the decision named (from <see cref="State"/>), looked up once for forwarding: set with every decision that is forwarded.</summary>
    public CasbCore.Model.AppEntry? App { get; set; }

    /// <summary>Ask the app to close its connection after this request: connection-based credentials that could not be bound to the client's connection (ConnectionBoundUpstream).</summary>
    public bool CloseUpstreamConnection { get; set; }

    /// <summary>The engine's decision on the download or upload in this request (the strictest, or the blocked one), when session control decided one.</summary>
    public FileDecision? File
    {
        get => _rare?.File;
        set => RareFor(value)?.File = value;
    }

    /// <summary>The multipart body session control reads part by part, when it reads one.</summary>
    public SessionControl.MultipartUploadStream? Upload
    {
        get => _rare?.Upload;
        set => RareFor(value)?.Upload = value;
    }

    public double? DecisionLatencyMs { get; set; }

    public double? UpstreamLatencyMs { get; set; }

    /// <summary>Set when the request failed closed: the action logged is Block whatever the decision was.</summary>
    public bool FailedClosed { get; set; }

    /// <summary>Set when nothing was proxied because no app matched.</summary>
    public bool NoApp { get; set; }

    public string? Error
    {
        get => _rare?.Error;
        set => RareFor(value)?.Error = value;
    }

    /// <summary>Client, Upstream or Gateway: whose fault <see cref="Error"/> is.</summary>
    public string? ErrorSource
    {
        get => _rare?.ErrorSource;
        set => RareFor(value)?.ErrorSource = value;
    }

    private sealed class RareParts
    {
        public string? TrustedForwardedFor;

        public string? IdentityHeaderValue;

        public IReadOnlyList<KeyValuePair<string, string>>? SignInClaims;

        public string? RefusedMessage;

        public string? RefusedPath;

        public FileDecision? File;

        public SessionControl.MultipartUploadStream? Upload;

        public string? Error;

        public string? ErrorSource;
    }
}
