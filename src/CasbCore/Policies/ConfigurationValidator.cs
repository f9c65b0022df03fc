using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>One thing wrong with a configuration, with a stable error id and the item it concerns.</summary>
public sealed record ConfigurationProblem(string ErrorId, string Item, string Message);

/// <summary>
/// Checks a whole configuration for consistency (names unique, references resolve, ranges and patterns parse).
/// Cmdlets run it before a write (so nothing invalid is stored), Import-CasbConfiguration before a merge, and
/// the gateway before it swaps in a new revision (a broken one is refused and the last good one keeps serving).
/// </summary>
public static class ConfigurationValidator
{
    public static IReadOnlyList<ConfigurationProblem> Validate(CasbConfiguration configuration)
    {
        // TODO(issue 3): implemented by the policy-engine work.
        return Array.Empty<ConfigurationProblem>();
    }

    /// <summary>Throws a <see cref="CasbException"/> carrying the first problem's error id when the configuration is invalid.</summary>
    public static void ThrowIfInvalid(CasbConfiguration configuration)
    {
        IReadOnlyList<ConfigurationProblem> problems = Validate(configuration);
        if (problems.Count > 0)
        {
            ConfigurationProblem first = problems[0];
            string all = string.Join(" ", problems.Select(p => p.Message));
            throw new CasbException(first.ErrorId, CasbErrorKind.InvalidData, all, first.Item);
        }
    }
}
