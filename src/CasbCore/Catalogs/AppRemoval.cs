using CasbCore.Model;

namespace CasbCore.Catalogs;

/// <summary>What removing an app did: the app, and the policies that named only it and were turned off.</summary>
public sealed record AppRemoval(AppEntry App, IReadOnlyList<string> TurnedOffPolicies);
