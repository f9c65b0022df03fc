using CasbCore.Policies;

namespace CasbCore.Activity;

/// <summary>A conditional-access policy's outcome for one request, as logged.</summary>
public sealed class ActivityConditionalAccessResult
{
    public string Policy { get; init; } = "";

    public string Outcome { get; init; } = "";

    public string? Reason { get; init; }
}

/// <summary>
/// One gateway decision as written to the activity log (one JSON line). Flat and self-describing so any
/// log shipper can read it; Get-CasbActivity turns it back into typed objects.
/// </summary>
public sealed record ActivityRecord
{
    public DateTimeOffset Time { get; init; }

    /// <summary>
    /// Null for a request decision (the usual record); <see cref="ActivityKinds.SignIn"/> or
    /// <see cref="ActivityKinds.SignOut"/> for a sign-in event, which has an <see cref="Outcome"/> and no Action.
    /// </summary>
    public string? Kind { get; init; }

    /// <summary>Success or Failure, for a sign-in event.</summary>
    public string? Outcome { get; init; }

    /// <summary>Why a sign-in or sign-out failed: the error code its page shows (sign_in_state_invalid, identity_provider_unavailable, ...).</summary>
    public string? FailureReason { get; init; }

    /// <summary>How many groups the identity provider's token named (its GroupClaim values), for a sign-in that succeeded.</summary>
    public int? GroupCount { get; init; }

    /// <summary>The gateway's own id for this request, unique per request (never taken from the client).</summary>
    public string CorrelationId { get; init; } = "";

    /// <summary>
    /// The W3C trace id the request ran under: the client's (traceparent) when it sent one, so it is not unique and
    /// not trusted; for joining with the client's or a collector's traces.
    /// </summary>
    public string? TraceId { get; init; }

    public string? App { get; init; }

    public string? Host { get; init; }

    public string? Path { get; init; }

    public string? Method { get; init; }

    public string? User { get; init; }

    public string? UserSource { get; init; }

    /// <summary>The identity provider the user signed in with (UserSource SignIn).</summary>
    public string? IdentityProvider { get; init; }

    /// <summary>True when the signed-in user and the client certificate's principal differ (CertificateUserMismatch Audit or Block); null otherwise.</summary>
    public bool? CertificateUserMismatch { get; init; }

    public string? SourceIp { get; init; }

    public string? UserAgent { get; init; }

    public string? ClientAppType { get; init; }

    public IReadOnlyList<string> DeviceTags { get; init; } = Array.Empty<string>();

    public string? CertificateSubject { get; init; }

    public string? CertificateIssuer { get; init; }

    public string? CertificateThumbprint { get; init; }

    /// <summary>"Valid", "None" or the first failure reason (see CertificateValidationResult.Status).</summary>
    public string? CertificateStatus { get; init; }

    public IReadOnlyList<ActivityConditionalAccessResult> ConditionalAccess { get; init; } = Array.Empty<ActivityConditionalAccessResult>();

    public IReadOnlyList<string> MatchedPolicies { get; init; } = Array.Empty<string>();

    /// <summary>Allow, Block or Monitor; empty for a sign-in event (see <see cref="Outcome"/>).</summary>
    public string Action { get; init; } = "";

    public string? BlockingPolicy { get; init; }

    public string? BlockMessage { get; init; }

    public int HttpStatus { get; init; }

    public double? UpstreamLatencyMs { get; init; }

    public double? DecisionLatencyMs { get; init; }

    public long Revision { get; init; }

    public string? Gateway { get; init; }

    /// <summary>What went wrong, when the request failed closed, the upstream failed or the client broke the request.</summary>
    public string? Error { get; init; }

    /// <summary>Download or Upload, when session control decided a file in this request.</summary>
    public string? FileDirection { get; init; }

    public string? FileName { get; init; }

    /// <summary>The file's size in bytes: a part's counted size for an upload, the Content-Length for a download (null when chunked).</summary>
    public long? FileSizeBytes { get; init; }

    /// <summary>Allow, Audit or Block: the engine's decision on the file.</summary>
    public string? FileAction { get; init; }

    /// <summary>The session policy that decided the file, if one did.</summary>
    public string? SessionPolicy { get; init; }

    /// <summary>
    /// Set on a Summary record only (activity volume Summary): how many allowed requests of one user, app and device in
    /// one minute it stands for. <see cref="Time"/> is the first of them, <see cref="LastTime"/> the last.
    /// </summary>
    public int? Count { get; init; }

    /// <summary>Summary records: the last request's time.</summary>
    public DateTimeOffset? LastTime { get; init; }

    /// <summary>Bytes of the request and response bodies, as far as the gateway knows them (Content-Length); summed on a Summary record.</summary>
    public long? Bytes { get; init; }

    /// <summary>
    /// The record of a request whose file session control decided: the file's fields, and the action of what the
    /// client got (Block when the file was blocked, Monitor when it was recorded).
    /// </summary>
    public ActivityRecord WithFile(FileDecision file)
    {
        ArgumentNullException.ThrowIfNull(file);
        ActivityRecord record = this with
        {
            FileDirection = file.Direction.ToString(),
            FileName = file.FileName,
            FileSizeBytes = file.SizeBytes,
            FileAction = file.Action.ToString(),
            SessionPolicy = file.Policy,
        };
        return file.Action switch
        {
            Policies.FileAction.Block => record with { Action = nameof(AccessAction.Block), BlockingPolicy = file.Policy, BlockMessage = file.BlockMessage },
            Policies.FileAction.Audit when Action == nameof(AccessAction.Allow) => record with { Action = nameof(AccessAction.Monitor) },
            _ => record,
        };
    }

    /// <summary>
    /// Whose fault <see cref="Error"/> is: "Client" (malformed body, reset or closed the request), "Upstream" (the app
    /// is down, reset or did not answer in time) or "Gateway" (the request failed closed). Null without an error.
    /// </summary>
    public string? ErrorSource { get; init; }

    /// <summary>
    /// The decision part of a record, built from the engine's answer. The gateway and what-if tooling both use
    /// this, so a logged decision and a what-if decision for the same inputs produce the same fields.
    /// </summary>
    public static ActivityRecord FromDecision(
        AccessDecision decision,
        AccessRequest request,
        string? method = null,
        int httpStatus = 0,
        double? decisionLatencyMs = null,
        double? upstreamLatencyMs = null,
        string? gateway = null,
        string? error = null,
        string? traceId = null,
        string? errorSource = null,
        long? bytes = null) =>
        FromDecision(
            decision, decision.ExplainForRecord(), request, method, httpStatus, decisionLatencyMs,
            upstreamLatencyMs, gateway, error, traceId, errorSource, bytes);

    /// <summary>The record of a decision with the explanation given (tests compare the ways of working it out).</summary>
    internal static ActivityRecord FromDecision(
        AccessDecision decision,
        DecisionExplanation explanation,
        AccessRequest request,
        string? method = null,
        int httpStatus = 0,
        double? decisionLatencyMs = null,
        double? upstreamLatencyMs = null,
        string? gateway = null,
        string? error = null,
        string? traceId = null,
        string? errorSource = null,
        long? bytes = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        DecisionExplanation.LoggedResults logged = explanation.Logged ??= new(Logged(explanation.ConditionalAccess), Names(explanation.MatchedPolicies));
        return new ActivityRecord
        {
            Time = request.At,
            CorrelationId = request.CorrelationId ?? decision.CorrelationId ?? "",
            App = decision.App,
            Host = request.Host,
            Path = request.Path,
            Method = method,
            User = decision.User,
            UserSource = decision.UserSource,
            IdentityProvider = decision.IdentityProvider,
            CertificateUserMismatch = decision.CertificateUserMismatch ? true : null,
            SourceIp = request.ClientAddressUnknown ? null : request.ClientAddress?.ToString() ?? request.RemoteAddress?.ToString(),
            UserAgent = request.UserAgent,
            ClientAppType = NameOf(decision.ClientAppType),
            // The validator's array (one per validated certificate, cached with its result, never written after it) is
            // shared rather than copied for every request; a list of any other kind is copied, as before.
            DeviceTags = decision.DeviceTags switch
            {
                { Count: 0 } => Array.Empty<string>(),
                string[] tags => tags,
                var tags => tags.ToArray(),
            },
            CertificateSubject = decision.Certificate?.Subject,
            CertificateIssuer = decision.Certificate?.Issuer,
            CertificateThumbprint = decision.Certificate?.Thumbprint,
            CertificateStatus = decision.Certificate?.Status,
            ConditionalAccess = logged.ConditionalAccess,
            MatchedPolicies = logged.MatchedPolicies,
            Action = NameOf(decision.Action),
            BlockingPolicy = decision.BlockingPolicy,
            BlockMessage = decision.Action == AccessAction.Block ? decision.BlockMessage : null,
            HttpStatus = httpStatus,
            DecisionLatencyMs = decisionLatencyMs,
            UpstreamLatencyMs = upstreamLatencyMs,
            Revision = decision.Revision,
            Gateway = gateway,
            Error = error,
            TraceId = traceId,
            ErrorSource = errorSource,
            Bytes = bytes,
        };
    }

    // The names without Enum.ToString's lookup: once per request on the gateway's request path (same strings).
    private static string NameOf(Model.ClientAppType type) => type switch
    {
        Model.ClientAppType.Browser => nameof(Model.ClientAppType.Browser),
        Model.ClientAppType.MobileAndDesktop => nameof(Model.ClientAppType.MobileAndDesktop),
        _ => type.ToString(),
    };

    private static string NameOf(ConditionalAccessOutcome outcome) => outcome switch
    {
        ConditionalAccessOutcome.Applied => nameof(ConditionalAccessOutcome.Applied),
        ConditionalAccessOutcome.NotApplied => nameof(ConditionalAccessOutcome.NotApplied),
        ConditionalAccessOutcome.ReportOnly => nameof(ConditionalAccessOutcome.ReportOnly),
        _ => outcome.ToString(),
    };

    private static string NameOf(AccessAction action) => action switch
    {
        AccessAction.Allow => nameof(AccessAction.Allow),
        AccessAction.Block => nameof(AccessAction.Block),
        AccessAction.Monitor => nameof(AccessAction.Monitor),
        _ => action.ToString(),
    };

    // Loops, not LINQ: once per request on the gateway's request path.
    private static ActivityConditionalAccessResult[] Logged(IReadOnlyList<ConditionalAccessResult> results)
    {
        if (results.Count == 0)
        {
            return Array.Empty<ActivityConditionalAccessResult>();
        }

        var logged = new ActivityConditionalAccessResult[results.Count];
        for (int i = 0; i < logged.Length; i++)
        {
            ConditionalAccessResult result = results[i];
            logged[i] = new ActivityConditionalAccessResult { Policy = result.PolicyName, Outcome = NameOf(result.Outcome), Reason = result.Reason };
        }

        return logged;
    }

    private static string[] Names(IReadOnlyList<MatchedAccessPolicy> policies)
    {
        if (policies.Count == 0)
        {
            return Array.Empty<string>();
        }

        var names = new string[policies.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = policies[i].Name;
        }

        return names;
    }
}
