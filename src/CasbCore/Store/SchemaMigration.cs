using System.Text.Json.Nodes;

namespace CasbCore.Store;

/// <summary>
/// One step of the store's schema: upgrades a document of version <see cref="From"/> to the next version, in
/// place, on the JSON itself (the C# model only knows the current version). A step must lose nothing an admin
/// configured: it may add, rename or restructure, never drop.
/// </summary>
public sealed class SchemaMigration
{
    public SchemaMigration(int from, string description, Action<JsonObject> upgrade)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(from, 1);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentNullException.ThrowIfNull(upgrade);
        From = from;
        Description = description;
        Upgrade = upgrade;
    }

    /// <summary>The version this step reads; it writes <see cref="From"/> + 1.</summary>
    public int From { get; }

    /// <summary>What changed in the schema, and why.</summary>
    public string Description { get; }

    public Action<JsonObject> Upgrade { get; }
}
