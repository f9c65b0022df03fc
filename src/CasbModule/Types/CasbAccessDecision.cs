using CasbCore;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;

namespace CasbModule.Types;

/// <summary>What the engine decides for one (what-if) request, and every reason why. Built from <see cref="AccessDecision"/>.</summary>
public sealed class CasbAccessDecision
{
    internal CasbAccessDecision(AccessDecision decision)
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
        UnderAppControl = decision.UnderAppControl;
        Reasons = DisplayText.SafeAll(explanation.Reasons);
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

    public bool UnderAppControl { get; }

    public string[] Reasons { get; }

    /// <summary>The configuration revision the decision was made on.</summary>
    public long Revision { get; }

    public DateTimeOffset At { get; }
}
