namespace CasbCore.Policies;

/// <summary>What the access policies a request reached add up to: the winning block, if any, and whether a Test policy matched.</summary>
internal struct AccessVerdict
{
    public CompiledAccessPolicy? Blocking;

    public bool TestMatched;
}
