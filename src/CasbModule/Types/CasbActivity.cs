using CasbCore.Activity;

namespace CasbModule.Types;

/// <summary>One gateway decision from the activity log.</summary>
public sealed class CasbActivity
{
    internal CasbActivity(ActivityRecord record)
    {
        Time = record.Time;
        CorrelationId = record.CorrelationId;
        App = record.App;
        Host = record.Host;
        Path = record.Path;
        Method = record.Method;
        User = record.User;
        UserSource = record.UserSource;
        SourceIp = record.SourceIp;
        UserAgent = record.UserAgent;
        ClientAppType = record.ClientAppType;
        DeviceTags = record.DeviceTags.ToArray();
        CertificateSubject = record.CertificateSubject;
        CertificateIssuer = record.CertificateIssuer;
        CertificateThumbprint = record.CertificateThumbprint;
        CertificateStatus = record.CertificateStatus;
        ConditionalAccess = record.ConditionalAccess.Select(c => $"{c.Policy}: {c.Outcome}").ToArray();
        MatchedPolicies = record.MatchedPolicies.ToArray();
        Action = record.Action;
        BlockingPolicy = record.BlockingPolicy;
        BlockMessage = record.BlockMessage;
        HttpStatus = record.HttpStatus;
        UpstreamLatencyMs = record.UpstreamLatencyMs;
        DecisionLatencyMs = record.DecisionLatencyMs;
        Revision = record.Revision;
        Gateway = record.Gateway;
        Error = record.Error;
        FileDirection = record.FileDirection;
        FileName = record.FileName;
        FileAction = record.FileAction;
        SessionPolicy = record.SessionPolicy;
    }

    public DateTimeOffset Time { get; }

    public string CorrelationId { get; }

    public string? App { get; }

    public string? Host { get; }

    public string? Path { get; }

    public string? Method { get; }

    public string? User { get; }

    public string? UserSource { get; }

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

    /// <summary>Allow, Block or Monitor.</summary>
    public string Action { get; }

    public string? BlockingPolicy { get; }

    public string? BlockMessage { get; }

    public int HttpStatus { get; }

    public double? UpstreamLatencyMs { get; }

    public double? DecisionLatencyMs { get; }

    public long Revision { get; }

    public string? Gateway { get; }

    public string? Error { get; }

    /// <summary>Download or Upload, when session control decided a file in this request.</summary>
    public string? FileDirection { get; }

    public string? FileName { get; }

    /// <summary>Allow, Audit or Block: the engine's decision on the file.</summary>
    public string? FileAction { get; }

    /// <summary>The session policy that decided the file, if one did.</summary>
    public string? SessionPolicy { get; }
}
