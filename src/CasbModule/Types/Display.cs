using CasbCore;
using CasbCore.Certificates;
using CasbCore.Policies;

namespace CasbModule.Types;

/// <summary>
/// Display-safe copies of the engine values the output types carry. Every string an output type exposes goes
/// through <see cref="DisplayText.Safe"/> when the object is built, so table and list views, <c>Format-List *</c>,
/// <c>Select-Object</c> and property access all show escapes instead of raw control characters. The exact values
/// stay where they are the record: the store, the JSON activity log, and the internal keys the cmdlets use to
/// find a piped item again.
/// </summary>
internal static class Display
{
    public static ConditionalAccessResult Safe(ConditionalAccessResult result) =>
        result with { PolicyName = DisplayText.Safe(result.PolicyName), Reason = DisplayText.Safe(result.Reason) };

    public static MatchedAccessPolicy Safe(MatchedAccessPolicy policy) =>
        policy with { Name = DisplayText.Safe(policy.Name), BlockMessage = DisplayText.Safe(policy.BlockMessage) };

    public static CertificateFailure Safe(CertificateFailure failure) =>
        failure with { Message = DisplayText.Safe(failure.Message) };

    public static CertificateChainElement Safe(CertificateChainElement element) =>
        element with
        {
            Subject = DisplayText.Safe(element.Subject),
            Issuer = DisplayText.Safe(element.Issuer),
            Thumbprint = DisplayText.Safe(element.Thumbprint),
        };

    /// <summary>A copy with every string made safe (a test checks that the copy carries every property).</summary>
    public static CertificateValidationResult? Safe(CertificateValidationResult? result) => result is null ? null : new CertificateValidationResult
    {
        IsValid = result.IsValid,
        Subject = DisplayText.Safe(result.Subject),
        Issuer = DisplayText.Safe(result.Issuer),
        Thumbprint = DisplayText.Safe(result.Thumbprint),
        NotBefore = result.NotBefore,
        NotAfter = result.NotAfter,
        Principal = DisplayText.Safe(result.Principal),
        ValidatedAt = result.ValidatedAt,
        DeviceTags = DisplayText.SafeAll(result.DeviceTags),
        Failures = result.Failures.Select(Safe).ToArray(),
        Chain = result.Chain.Select(Safe).ToArray(),
    };

    /// <summary>A copy of a file decision with every string made safe (the file name may come from an upstream's header).</summary>
    public static FileDecision? Safe(FileDecision? file) => file is null ? null : new FileDecision
    {
        Action = file.Action,
        Direction = file.Direction,
        FileName = DisplayText.Safe(file.FileName),
        Extension = DisplayText.Safe(file.Extension) ?? "",
        SizeBytes = file.SizeBytes,
        AppControlMode = file.AppControlMode,
        Policy = DisplayText.Safe(file.Policy),
        MatchedPolicies = DisplayText.SafeAll(file.MatchedPolicies),
        BlockMessage = DisplayText.Safe(file.BlockMessage),
        Reasons = DisplayText.SafeAll(file.Reasons),
    };

    /// <summary>
    /// The upstream as a <see cref="Uri"/> whose text (what PowerShell shows) is safe. Uri.ToString() un-escapes
    /// percent-encoded bidi controls, so an upstream that would show one is reduced to its scheme, host and port;
    /// the configuration validator refuses such upstreams, so only a hand-edited store gets here.
    /// </summary>
    public static Uri Upstream(string upstream)
    {
        if (Uri.TryCreate(upstream, UriKind.Absolute, out Uri? absolute))
        {
            if (DisplayText.IsSafe(absolute.ToString()))
            {
                return absolute;
            }

            if (absolute.IsAbsoluteUri && !string.IsNullOrEmpty(absolute.Host)
                && Uri.TryCreate(absolute.GetLeftPart(UriPartial.Authority), UriKind.Absolute, out Uri? authority)
                && DisplayText.IsSafe(authority.ToString()))
            {
                return authority;
            }
        }
        else if (Uri.TryCreate(DisplayText.Safe(upstream), UriKind.Relative, out Uri? relative) && DisplayText.IsSafe(relative.ToString()))
        {
            return relative;
        }

        return new Uri("", UriKind.Relative);
    }
}
