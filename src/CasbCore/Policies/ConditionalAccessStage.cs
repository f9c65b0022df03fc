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

    public void Evaluate(ref DecisionState state)
    {
        DecisionTrace? trace = state.Trace;
        foreach (CompiledConditionalAccessPolicy policy in _policies)
        {
            if (policy.State == ConditionalAccessState.Off)
            {
                trace?.ConditionalAccess(policy.Off);
                continue;
            }

            ConditionalAccessScope scope = policy.CheckScope(in state.Facts);
            if (!scope.InScope)
            {
                trace?.ConditionalAccess(policy.NotInScope(scope, in state.Facts, trace.KeepsReasons));
                continue;
            }

            if (policy.State == ConditionalAccessState.ReportOnly)
            {
                trace?.ConditionalAccess(policy.ReportOnly);
                state.ReportOnlyBlocks |= policy.Blocks;
                state.ReportOnlyAppControl |= policy.AppControl;
                continue;
            }

            trace?.ConditionalAccess(policy.Applied);
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
}
