using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// The third stage. Not under App Control: Allow ("Not in scope of any App Control conditional-access policy"),
/// with the access policies evaluated only to report what a report-only App Control policy would have done. Under
/// App Control: every access policy the request reaches through its app's index is evaluated; a matched Block
/// blocks (the highest ranked), otherwise the default action, and App Control modes other than UseCustomPolicy turn
/// would-be blocks into Monitor. Last, an Allow that a report-only policy would have blocked becomes Monitor.
/// </summary>
internal sealed class AccessPolicyStage : IDecisionStage
{
    private readonly DefaultAction _defaultAction;

    public AccessPolicyStage(DefaultAction defaultAction)
    {
        _defaultAction = defaultAction;
    }

    public void Evaluate(ref DecisionState state)
    {
        DecisionTrace? trace = state.Trace;
        CompiledApp app = state.App!;
        bool reportOnlyWouldBlock = state.ReportOnlyBlocks;

        if (state.AppControlMode is AppControlMode mode)
        {
            var verdict = default(AccessVerdict);
            app.EvaluateAccessPolicies(in state.Facts, ref verdict, trace);
            trace?.EndAccessPolicies(reportOnly: false);
            // Every match is a Block (Blocking is then set) or not (TestMatched): the record lists the matched policies,
            // which only the trace gathers.
            if (verdict.Blocking is not null || verdict.TestMatched)
            {
                state.RecordNeedsTrace = true;
            }

            bool enforce = mode == AppControlMode.UseCustomPolicy;
            if (verdict.Blocking is { } blocking)
            {
                if (enforce)
                {
                    state.Action = AccessAction.Block;
                    state.BlockingPolicy = blocking.Name;
                    state.BlockedOnDeviceTags = blocking.FiltersOnDeviceTags;
                    state.BlockMessage = blocking.BlockMessage ?? app.DefaultBlockMessage;
                    trace?.Reason(blocking.BlockedReason);
                }
                else
                {
                    state.Action = AccessAction.Monitor;
                    trace?.Reason($"Access policy '{blocking.Name}' would have blocked; App Control mode {mode} only monitors.");
                }
            }
            else if (_defaultAction == DefaultAction.Block)
            {
                if (enforce)
                {
                    state.Action = AccessAction.Block;
                    state.BlockMessage = app.DefaultDenyMessage;
                    trace?.Reason("No access policy blocked; the default action is Block.");
                }
                else
                {
                    state.Action = AccessAction.Monitor;
                    trace?.Reason($"The default action Block would have blocked; App Control mode {mode} only monitors.");
                }
            }
            else
            {
                state.Action = verdict.TestMatched ? AccessAction.Monitor : AccessAction.Allow;
                trace?.Reason(verdict.TestMatched
                    ? "No access policy blocked; a Test policy matched, so the session is monitored."
                    : "No access policy blocked; the default action is Allow.");
            }
        }
        else
        {
            state.Action = AccessAction.Allow;
            trace?.Reason(CompiledPolicySet.NotInAppControlScope);
            if (state.ReportOnlyAppControl)
            {
                var verdict = default(AccessVerdict);
                app.EvaluateAccessPolicies(in state.Facts, ref verdict, trace);
                trace?.EndAccessPolicies(reportOnly: true);
                if (verdict.Blocking is { } blocking)
                {
                    reportOnlyWouldBlock = true;
                    trace?.Reason($"Report-only: access policy '{blocking.Name}' would have blocked.");
                }
                else if (_defaultAction == DefaultAction.Block)
                {
                    reportOnlyWouldBlock = true;
                    trace?.Reason("Report-only: the default action Block would have blocked.");
                }
            }
        }

        if (state.Action == AccessAction.Allow && reportOnlyWouldBlock)
        {
            state.Action = AccessAction.Monitor;
            trace?.Reason("Monitored: a report-only policy would have blocked this request.");
        }
    }
}
