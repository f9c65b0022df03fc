namespace CasbCore.Policies;

/// <summary>
/// What the stages write down when asked to explain a decision: the reason lines in order, each
/// conditional-access result, the matched access policies, and (for tests) which access policies were evaluated.
/// Only explanations carry one; deciding passes none, and every line below is built only when one is there.
/// </summary>
internal sealed class DecisionTrace
{
    // Each list is made when its first entry comes: the gateway explains every request for its activity record, and most
    // requests have no matched policy, no reason lines kept and no evaluated policies recorded.
    private List<string>? _reasons;
    private List<ConditionalAccessResult>? _conditionalAccess;
    private List<MatchedAccessPolicy>? _matchedPolicies;
    private List<string>? _evaluated;
    // Null unless asked for: the gateway explains every request for its activity record and has no use for it.
    private readonly HashSet<CompiledAccessPolicy>? _evaluatedOnce;
    private List<CompiledAccessPolicy>? _matchedPending;
    // False for the gateway's activity record, which logs the structured parts (each conditional-access result with its
    // reason, the matched policies, the blocking policy) and never the reason lines: they are not kept or built.
    private readonly bool _keepReasons;

    public DecisionTrace(bool recordEvaluated = false, bool keepReasons = true)
    {
        _evaluatedOnce = recordEvaluated ? new HashSet<CompiledAccessPolicy>(ReferenceEqualityComparer.Instance) : null;
        _keepReasons = keepReasons;
    }

    /// <summary>False when the reason lines are dropped: a stage then need not build them.</summary>
    public bool KeepsReasons => _keepReasons;

    public void Reason(string line)
    {
        if (_keepReasons)
        {
            (_reasons ??= new List<string>(8)).Add(line);
        }
    }

    public void ConditionalAccess((ConditionalAccessResult Result, string Line) result)
    {
        (_conditionalAccess ??= new List<ConditionalAccessResult>()).Add(result.Result);
        Reason(result.Line);
    }

    public void Evaluating(CompiledAccessPolicy policy)
    {
        if (_evaluatedOnce is not null && _evaluatedOnce.Add(policy))
        {
            (_evaluated ??= new List<string>()).Add(policy.Name);
        }
    }

    public void Matched(CompiledAccessPolicy policy) => (_matchedPending ??= new List<CompiledAccessPolicy>()).Add(policy);

    /// <summary>
    /// Writes down the access policies matched since the last call, once each and in configuration order (the
    /// index reaches them route by route). Enforced matches are the decision's matched policies; report-only ones
    /// are reason lines only.
    /// </summary>
    public void EndAccessPolicies(bool reportOnly)
    {
        if (_matchedPending is not { Count: > 0 } pending)
        {
            return;
        }

        IEnumerable<CompiledAccessPolicy> matched = pending.Count <= 1 ? pending : pending.Distinct().OrderBy(p => p.Order);
        foreach (CompiledAccessPolicy policy in matched)
        {
            if (reportOnly)
            {
                if (_keepReasons)
                {
                    Reason("Report-only: " + policy.MatchedReason);
                }
            }
            else
            {
                (_matchedPolicies ??= new List<MatchedAccessPolicy>()).Add(policy.Matched);
                Reason(policy.MatchedReason);
            }
        }

        pending.Clear();
    }

    public DecisionExplanation ToExplanation() => new(
        (IReadOnlyList<ConditionalAccessResult>?)_conditionalAccess ?? [],
        (IReadOnlyList<MatchedAccessPolicy>?)_matchedPolicies ?? [],
        (IReadOnlyList<string>?)_reasons ?? [],
        (IReadOnlyList<string>?)_evaluated ?? []);
}
