namespace CasbCore.Policies;

/// <summary>
/// Every reason for one <see cref="AccessDecision"/>: each conditional-access policy's result, each matched access
/// policy and the reason lines in order (see docs/policy-evaluation.md). Built by <see cref="AccessDecision.Explain()"/>.
/// </summary>
public sealed class DecisionExplanation
{
    internal DecisionExplanation(
        IReadOnlyList<ConditionalAccessResult> conditionalAccess,
        IReadOnlyList<MatchedAccessPolicy> matchedPolicies,
        IReadOnlyList<string> reasons,
        IReadOnlyList<string> evaluatedAccessPolicies)
    {
        ConditionalAccess = conditionalAccess;
        MatchedPolicies = matchedPolicies;
        Reasons = reasons;
        EvaluatedAccessPolicies = evaluatedAccessPolicies;
    }

    /// <summary>The explanation of a decision the engine did not make (a test's or a default one): nothing to say.</summary>
    public static DecisionExplanation None { get; } = new([], [], [], []);

    public IReadOnlyList<ConditionalAccessResult> ConditionalAccess { get; }

    /// <summary>The enforced access policies that matched (none when the session is not under App Control).</summary>
    public IReadOnlyList<MatchedAccessPolicy> MatchedPolicies { get; }

    public IReadOnlyList<string> Reasons { get; }

    /// <summary>A copy with the given parts replaced (for decisions made without the engine).</summary>
    internal DecisionExplanation With(
        IReadOnlyList<ConditionalAccessResult>? conditionalAccess = null,
        IReadOnlyList<MatchedAccessPolicy>? matchedPolicies = null,
        IReadOnlyList<string>? reasons = null) =>
        new(conditionalAccess ?? ConditionalAccess, matchedPolicies ?? MatchedPolicies, reasons ?? Reasons, EvaluatedAccessPolicies);

    /// <summary>
    /// The access policies the decision evaluated, once each: what the index let through. Recorded only by
    /// <see cref="AccessDecision.Explain(bool)"/> with true (tests); empty otherwise.
    /// </summary>
    internal IReadOnlyList<string> EvaluatedAccessPolicies { get; }

    /// <summary>
    /// This explanation's conditional-access results and matched policies as the activity record logs them, made on first
    /// use and then shared by every record of a decision with this explanation (the engine shares one explanation per set
    /// of notes and revision, and neither is ever written after it is made): an array of results and one of names per
    /// request were about 120 B of the gateway's allocation per request (docs/benchmarks.md, "Sixth pass: allocation").
    /// An object, not a tuple: two requests may make it at once, and a reference is published whole, where a nullable
    /// tuple's three fields could be read half-written.
    /// </summary>
    internal LoggedResults? Logged { get; set; }

    /// <summary>The conditional-access results and matched policies of <see cref="Logged"/>.</summary>
    internal sealed record LoggedResults(Activity.ActivityConditionalAccessResult[] ConditionalAccess, string[] MatchedPolicies);
}
