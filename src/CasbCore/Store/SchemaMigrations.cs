using System.Text.Json.Nodes;
using CasbCore.Model;

namespace CasbCore.Store;

/// <summary>
/// The chain of <see cref="SchemaMigration"/> steps from schema version 1 to
/// <see cref="CasbConfiguration.CurrentSchemaVersion"/>. Reading an older document runs the steps in memory; the
/// file itself is upgraded only when it is next written (an older gateway may still be reading it). A document
/// newer than this engine is refused (StoreSchemaUnsupported) and never rewritten: its fields would be lost.
/// </summary>
public static class SchemaMigrations
{
    public const string UnsupportedErrorId = "StoreSchemaUnsupported";

    /// <summary>Every step, in order: the step from version n is at index n - 1.</summary>
    public static IReadOnlyList<SchemaMigration> All { get; } =
    [
        new(1, "Session policies (sessionPolicies). Nothing else changed; the version went up so that an engine that knows no session policies refuses the file instead of letting every download through.",
            document => document["sessionPolicies"] ??= new JsonArray()),
        new(2, "Sign-in (identityProvider, apps[].signIn, settings.certificateUserMismatch). Nothing to upgrade: a version 2 store has no provider and no app signs users in. The version went up so that an engine that knows no sign-in refuses the file instead of serving an app that requires sign-in to anyone.",
            static _ => { }),
    ];

    /// <summary>
    /// Upgrades <paramref name="document"/> from <paramref name="version"/> to <paramref name="target"/> with
    /// <paramref name="steps"/> and stamps its schemaVersion. StoreSchemaUnsupported when the version is newer
    /// than the target, below 1, or has no step.
    /// </summary>
    public static void Upgrade(JsonObject document, int version, int target, IReadOnlyList<SchemaMigration> steps, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(steps);
        if (version > target || version < 1)
        {
            throw Unsupported(sourceName, version, target);
        }

        for (int current = version; current < target; current++)
        {
            SchemaMigration step = steps.FirstOrDefault(s => s.From == current) ?? throw Unsupported(sourceName, version, target);
            step.Upgrade(document);
        }

        document["schemaVersion"] = target;
    }

    internal static CasbException Unsupported(string sourceName, int version, int target) =>
        new(UnsupportedErrorId, CasbErrorKind.InvalidData,
            version > target
                ? $"The configuration file '{sourceName}' has schema version {version}; this version of CasbModule reads versions 1 to {target}. It was left untouched."
                : $"The configuration file '{sourceName}' has schema version {version}, which no version of CasbModule wrote (this one reads versions 1 to {target}). It was left untouched.",
            sourceName);
}
