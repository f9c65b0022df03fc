namespace CasbCore.Policies;

/// <summary>
/// What the stages write down when asked to explain a decision: the reason lines in order, each
/// conditional-access result, the matched access policies, and (for tests) which access policies were evaluated.
/// Only explanations carry one; deciding passes none, and every line below is built only when one is there.
/// </summary>
internal sealed class DecisionTrace
{
    private readonly List<string> _reasons;
    private readonly List<ConditionalAccessResult> _conditionalAccess = new();
    private readonly List<MatchedAccessPolicy> _matchedPolicies = new();
    private readonly List<string> _evaluated = new();
    // Null unless asked for: the gateway explains every request for its activity record and has no use for it.
    private readonly HashSet<CompiledAccessPolicy>? _evaluatedOnce;
    private readonly List<CompiledAccessPolicy> _matchedPending = new();
    // False for the gateway's activity record, which logs the structured parts (each conditional-access result with its
    // reason, the matched policies, the blocking policy) and never the reason lines: they are not kept or built.
    private readonly bool _keepReasons;

    public DecisionTrace(bool recordEvaluated = false, bool keepReasons = true)
    {
        _evaluatedOnce = recordEvaluated ? new HashSet<CompiledAccessPolicy>(ReferenceEqualityComparer.Instance) : null;
        _keepReasons = keepReasons;
        _reasons = keepReasons ? new List<string>(8) : [];
    }

    public void Reason(string line)
    {
        if (_keepReasons)
        {
            _reasons.Add(line);
        }
    }

    public void ConditionalAccess((ConditionalAccessResult Result, string Line) result)
    {
        _conditionalAccess.Add(result.Result);
        Reason(result.Line);
    }

    public void Evaluating(CompiledAccessPolicy policy)
    {
        if (_evaluatedOnce is not null && _evaluatedOnce.Add(policy))
        {
            _evaluated.Add(policy.Name);
        }
    }

    public void Matched(CompiledAccessPolicy policy) => _matchedPending.Add(policy);

    /// <summary>
    /// Writes down the access policies matched since the last call, once each and in configuration order (the
    /// index reaches them route by route). Enforced matches are the decision's matched policies; report-only ones
    /// are reason lines only.
    /// </summary>
    public void EndAccessPolicies(bool reportOnly)
    {
        IEnumerable<CompiledAccessPolicy> matched = _matchedPending.Count <= 1 ? _matchedPending : _matchedPending.Distinct().OrderBy(p => p.Order);
        foreach (CompiledAccessPolicy policy in matched)
        {
            if (reportOnly)
            {
                if (_keepReasons)
                {
                    _reasons.Add("Report-only: " + policy.MatchedReason);
                }
            }
            else
            {
                _matchedPolicies.Add(policy.Matched);
                Reason(policy.MatchedReason);
            }
        }

        _matchedPending.Clear();
    }

    public DecisionExplanation ToExplanation() => new(_conditionalAccess, _matchedPolicies, _reasons, _evaluated);
}
