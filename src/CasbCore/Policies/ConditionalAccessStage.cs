using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// The second stage: each conditional-access policy in order. Off is not applied; otherwise in scope when the
/// user is included and not excluded, the app and the client app type are in scope. In scope and On: grant Block
/// blocks (the request is decided), session control App Control puts the session under App Control (the strictest
/// mode wins). In scope and ReportOnly: only recorded, for the access-policy stage to monitor what would have
/// blocked.
/// </summary>
internal sealed class ConditionalAccessStage : IDecisionStage
{
    private readonly CompiledConditionalAccessPolicy[] _policies;

    public ConditionalAccessStage(CompiledConditionalAccessPolicy[] policies)
    {
        _policies = policies;
    }

    /// <summary>The codes of <see cref="DecisionState.RecordedOutcomes"/>: which prebuilt result a policy gave (0: none, the end).</summary>
    internal const int NotedOff = 1, NotedReportOnly = 2, NotedApplied = 3;

    /// <summary>The most policies whose results <see cref="DecisionState.RecordedOutcomes"/> holds (2 bits each).</summary>
    internal const int MaxNoted = 32;

    public void Evaluate(ref DecisionState state)
    {
        DecisionTrace? trace = state.Trace;
        if (_policies.Length > MaxNoted)
        {
            state.RecordOutOfScope = true;
        }

        for (int i = 0; i < _policies.Length; i++)
        {
            CompiledConditionalAccessPolicy policy = _policies[i];
            if (policy.State == ConditionalAccessState.Off)
            {
                trace?.ConditionalAccess(policy.Off);
                Note(ref state, i, NotedOff);
                continue;
            }

            ConditionalAccessScope scope = policy.CheckScope(in state.Facts);
            if (!scope.InScope)
            {
                trace?.ConditionalAccess(policy.NotInScope(scope, in state.Facts, trace.KeepsReasons));
                // Its reason names the user, group, app or client app type: made only with a trace.
                state.RecordOutOfScope = true;
                continue;
            }

            if (policy.State == ConditionalAccessState.ReportOnly)
            {
                trace?.ConditionalAccess(policy.ReportOnly);
                Note(ref state, i, NotedReportOnly);
                state.ReportOnlyBlocks |= policy.Blocks;
                state.ReportOnlyAppControl |= policy.AppControl;
                continue;
            }

            trace?.ConditionalAccess(policy.Applied);
            Note(ref state, i, NotedApplied);
            if (policy.Blocks)
            {
                state.BlockedByConditionalAccess ??= policy;
            }
            else if (policy.AppControl && (state.AppControlMode is null || policy.Mode > state.AppControlMode))
            {
                state.AppControlMode = policy.Mode;
            }
        }

        if (state.BlockedByConditionalAccess is { } blockedBy)
        {
            state.Decided = true;
            state.Action = AccessAction.Block;
            state.BlockingPolicy = blockedBy.Name;
            state.BlockMessage = blockedBy.BlockMessage;
            trace?.Reason(blockedBy.BlockedReason);
        }
    }

    private static void Note(ref DecisionState state, int index, int code)
    {
        if (index < MaxNoted)
        {
            state.RecordedOutcomes |= (ulong)code << (2 * index);
        }
    }
}
