using CasbCore;
using CasbCore.Activity;

namespace CasbModule.Types;

/// <summary>
/// One gateway decision from the activity log. Its strings come from requests and certificates, so they are made
/// safe to display (control and bidi characters escaped, see <see cref="DisplayText"/>); <see cref="GetRecord"/>
/// and the JSON log keep the exact values.
/// </summary>
public sealed class CasbActivity
{
    private readonly ActivityRecord _record;

    internal CasbActivity(ActivityRecord record)
    {
        _record = record;
        Time = record.Time;
        Kind = DisplayText.Safe(record.Kind) ?? ActivityKinds.Request;
        Outcome = DisplayText.Safe(record.Outcome);
        FailureReason = DisplayText.Safe(record.FailureReason);
        GroupCount = record.GroupCount;
        CorrelationId = DisplayText.Safe(record.CorrelationId);
        TraceId = DisplayText.Safe(record.TraceId);
        App = DisplayText.Safe(record.App);
        Host = DisplayText.Safe(record.Host);
        Path = DisplayText.Safe(record.Path);
        Method = DisplayText.Safe(record.Method);
        User = DisplayText.Safe(record.User);
        UserSource = DisplayText.Safe(record.UserSource);
        IdentityProvider = DisplayText.Safe(record.IdentityProvider);
        CertificateUserMismatch = record.CertificateUserMismatch == true;
        SourceIp = DisplayText.Safe(record.SourceIp);
        UserAgent = DisplayText.Safe(record.UserAgent);
        ClientAppType = DisplayText.Safe(record.ClientAppType);
        DeviceTags = DisplayText.SafeAll(record.DeviceTags);
        CertificateSubject = DisplayText.Safe(record.CertificateSubject);
        CertificateIssuer = DisplayText.Safe(record.CertificateIssuer);
        CertificateThumbprint = DisplayText.Safe(record.CertificateThumbprint);
        CertificateStatus = DisplayText.Safe(record.CertificateStatus);
        ConditionalAccess = record.ConditionalAccess.Select(c => DisplayText.Safe($"{c.Policy}: {c.Outcome}")).ToArray();
        MatchedPolicies = DisplayText.SafeAll(record.MatchedPolicies);
        Action = DisplayText.Safe(record.Action);
        BlockingPolicy = DisplayText.Safe(record.BlockingPolicy);
        BlockMessage = DisplayText.Safe(record.BlockMessage);
        HttpStatus = record.HttpStatus;
        UpstreamLatencyMs = record.UpstreamLatencyMs;
        DecisionLatencyMs = record.DecisionLatencyMs;
        Revision = record.Revision;
        Gateway = DisplayText.Safe(record.Gateway);
        Error = DisplayText.Safe(record.Error);
        ErrorSource = DisplayText.Safe(record.ErrorSource);
        FileDirection = DisplayText.Safe(record.FileDirection);
        FileName = DisplayText.Safe(record.FileName);
        FileSizeBytes = record.FileSizeBytes;
        FileAction = DisplayText.Safe(record.FileAction);
        SessionPolicy = DisplayText.Safe(record.SessionPolicy);
        Activity = ActivityQuery.KindOf(record);
        Count = record.Count ?? 1;
        LastTime = record.LastTime ?? record.Time;
        Bytes = record.Bytes;
    }

    /// <summary>Access, Download, Upload, or Summary (allowed requests counted per user, app, device and minute).</summary>
    public ActivityKind Activity { get; }

    /// <summary>How many requests this record stands for: 1, or a Summary record's count.</summary>
    public int Count { get; }

    /// <summary>The last request's time: a Summary record's last, else <see cref="Time"/>.</summary>
    public DateTimeOffset LastTime { get; }

    /// <summary>Request and response body bytes as far as the gateway knew them (Content-Length); a Summary record's sum.</summary>
    public long? Bytes { get; }

    public DateTimeOffset Time { get; }

    /// <summary>Request (a decision), SignIn or SignOut (a sign-in event at the gateway).</summary>
    public string Kind { get; }

    /// <summary>Success or Failure, for a sign-in event.</summary>
    public string? Outcome { get; }

    /// <summary>Why a sign-in or sign-out failed (the error code its page showed).</summary>
    public string? FailureReason { get; }

    /// <summary>How many groups the identity provider's token named, for a sign-in that succeeded.</summary>
    public int? GroupCount { get; }

    public string CorrelationId { get; }

    /// <summary>The W3C trace id (the client's traceparent when it sent one): not unique, unlike the correlation id.</summary>
    public string? TraceId { get; }

    public string? App { get; }

    public string? Host { get; }

    public string? Path { get; }

    public string? Method { get; }

    public string? User { get; }

    public string? UserSource { get; }

    /// <summary>The identity provider the user signed in with (UserSource SignIn).</summary>
    public string? IdentityProvider { get; }

    /// <summary>True when the signed-in user and the client certificate's principal were different people.</summary>
    public bool CertificateUserMismatch { get; }

    public string? SourceIp { get; }

    public string? UserAgent { get; }

    public string? ClientAppType { get; }

    public string[] DeviceTags { get; }

    public string? CertificateSubject { get; }

    public string? CertificateIssuer { get; }

    public string? CertificateThumbprint { get; }

    public string? CertificateStatus { get; }

    /// <summary>Each conditional-access policy evaluated, as "Name: Outcome".</summary>
    public string[] ConditionalAccess { get; }

    public string[] MatchedPolicies { get; }

    /// <summary>Allow, Block or Monitor; empty for a sign-in event (see <see cref="Outcome"/>).</summary>
    public string Action { get; }

    public string? BlockingPolicy { get; }

    public string? BlockMessage { get; }

    public int HttpStatus { get; }

    public double? UpstreamLatencyMs { get; }

    public double? DecisionLatencyMs { get; }

    public long Revision { get; }

    public string? Gateway { get; }

    public string? Error { get; }

    /// <summary>Whose fault the error is: Client, Upstream or Gateway (failed closed); empty without an error.</summary>
    public string? ErrorSource { get; }

    /// <summary>Download or Upload, when session control decided a file in this request.</summary>
    public string? FileDirection { get; }

    public string? FileName { get; }

    /// <summary>The file's size: the bytes an upload's part carried, or a download's Content-Length; empty when unknown.</summary>
    public long? FileSizeBytes { get; }

    /// <summary>Allow, Audit or Block: the engine's decision on the file.</summary>
    public string? FileAction { get; }

    /// <summary>The session policy that decided the file, if one did.</summary>
    public string? SessionPolicy { get; }

    /// <summary>The record exactly as logged, for scripts. Its strings are not made safe to display: do not print them raw.</summary>
    public ActivityRecord GetRecord() => _record;
}
