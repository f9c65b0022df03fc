namespace CasbCore.Policies;

/// <summary>
/// One stage of a decision: reads what earlier stages added to the <see cref="DecisionState"/> and adds its own. A stage
/// that decides for good (a block no later stage may change) sets <see cref="DecisionState.Decided"/>, and the stages
/// after it do not run. Stages are compiled once per revision and only read their compiled state.
/// </summary>
internal interface IDecisionStage
{
    void Evaluate(ref DecisionState state);
}
