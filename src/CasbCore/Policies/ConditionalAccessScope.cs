namespace CasbCore.Policies;

/// <summary>Why a request is or is not in a conditional-access policy's scope: the first assignment that fails.</summary>
internal enum ConditionalAccessScopeKind
{
    InScope,
    NotIncluded,
    Excluded,
    ExcludedThroughGroup,
    AppNotInScope,
    ClientAppTypeNotInScope,
}

/// <summary>The scope check's answer; <see cref="GroupIndex"/> names the excluding group (an index into the request's groups).</summary>
internal readonly record struct ConditionalAccessScope(ConditionalAccessScopeKind Kind, int GroupIndex = -1)
{
    public bool InScope => Kind == ConditionalAccessScopeKind.InScope;
}
