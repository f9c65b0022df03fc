using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbModule.Types;

/// <summary>What the engine decides for one (what-if) request, and every reason why. Built from <see cref="AccessDecision"/>.</summary>
public sealed class CasbAccessDecision
{
    internal CasbAccessDecision(AccessDecision decision, FileDecision? file = null)
    {
        DecisionExplanation explanation = decision.Explain();
        Action = decision.Action;
        App = DisplayText.Safe(decision.App);
        User = DisplayText.Safe(decision.User);
        UserSource = DisplayText.Safe(decision.UserSource);
        IdentityProvider = DisplayText.Safe(decision.IdentityProvider);
        SignInRequired = decision.SignInRequired;
        CertificateUserMismatch = decision.CertificateUserMismatch;
        Groups = DisplayText.SafeAll(decision.Groups);
        ClientAppType = decision.ClientAppType;
        DeviceTags = DisplayText.SafeAll(decision.DeviceTags);
        Certificate = Display.Safe(decision.Certificate);
        CertificateStatus = DisplayText.Safe(decision.Certificate?.Status ?? "None");
        ConditionalAccess = explanation.ConditionalAccess.Select(Display.Safe).ToArray();
        MatchedPolicies = explanation.MatchedPolicies.Select(Display.Safe).ToArray();
        BlockingPolicy = DisplayText.Safe(decision.BlockingPolicy);
        BlockMessage = DisplayText.Safe(decision.BlockMessage);
        BlockedOnDeviceTags = decision.BlockedOnDeviceTags;
        UnderAppControl = decision.UnderAppControl;
        AppControlMode = decision.AppControlMode;
        SessionPolicies = DisplayText.SafeAll(decision.SessionControls?.Policies ?? []);
        Reasons = DisplayText.SafeAll(explanation.Reasons);
        File = Display.Safe(file);
        if (file is not null)
        {
            // The what-if of a download or upload answers for the file: blocked, recorded (Monitor) or let through.
            FileAction = file.Action;
            Reasons = [.. Reasons, .. DisplayText.SafeAll(file.Reasons)];
            if (decision.Action != AccessAction.Block)
            {
                if (file.Action == CasbCore.Policies.FileAction.Block)
                {
                    Action = AccessAction.Block;
                    BlockingPolicy = DisplayText.Safe(file.Policy);
                    BlockMessage = DisplayText.Safe(file.BlockMessage);
                    BlockedOnDeviceTags = false;
                }
                else if (file.Action == CasbCore.Policies.FileAction.Audit)
                {
                    Action = AccessAction.Monitor;
                }
            }
        }
        Revision = decision.Revision;
        At = decision.At;
    }

    /// <summary>Allow, Block or Monitor.</summary>
    public AccessAction Action { get; }

    public string? App { get; }

    public string? User { get; }

    /// <summary>Where the user came from: SignIn, IdentityHeader, Certificate, Parameter, Anonymous.</summary>
    public string UserSource { get; }

    /// <summary>The identity provider the user signed in with (UserSource SignIn).</summary>
    public string? IdentityProvider { get; }

    /// <summary>True when the app requires sign-in and the request has no signed-in user (the gateway sends browsers to sign in).</summary>
    public bool SignInRequired { get; }

    /// <summary>True when the signed-in user and the client certificate's principal are different people (CertificateUserMismatch Audit or Block).</summary>
    public bool CertificateUserMismatch { get; }

    public string[] Groups { get; }

    public ClientAppType ClientAppType { get; }

    public string[] DeviceTags { get; }

    /// <summary>"Valid", "None" (no certificate) or the first failure reason.</summary>
    public string CertificateStatus { get; }

    public CertificateValidationResult? Certificate { get; }

    /// <summary>Each conditional-access policy's result: applied, not applied or report-only, and why.</summary>
    public ConditionalAccessResult[] ConditionalAccess { get; }

    public MatchedAccessPolicy[] MatchedPolicies { get; }

    public string? BlockingPolicy { get; }

    public string? BlockMessage { get; }

    /// <summary>
    /// True when the block came from an access policy with a device-tag filter: the client certificate decided, and the
    /// gateway's block page (BlockPageDetail Reason) tells the person what is wrong with it (CertificateStatus).
    /// </summary>
    public bool BlockedOnDeviceTags { get; }

    public bool UnderAppControl { get; }

    /// <summary>The App Control mode in force (MonitorOnly, BlockDownloads, UseCustomPolicy), or null when not under App Control.</summary>
    public AppControlMode? AppControlMode { get; }

    /// <summary>The session policies that apply to the session (UseCustomPolicy), whichever files they filter on.</summary>
    public string[] SessionPolicies { get; }

    /// <summary>Allow, Audit or Block for the download or upload of -Download/-Upload; null without one.</summary>
    public FileAction? FileAction { get; }

    /// <summary>The engine's decision on the download or upload, with its reasons; null without -Download/-Upload.</summary>
    public FileDecision? File { get; }

    public string[] Reasons { get; }

    /// <summary>The configuration revision the decision was made on.</summary>
    public long Revision { get; }

    public DateTimeOffset At { get; }
}
