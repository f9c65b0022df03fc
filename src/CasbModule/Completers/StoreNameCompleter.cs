using CasbCore;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CasbCore.Model;
using CasbCore.Store;

namespace CasbModule.Completers;

/// <summary>
/// Completes item names from the store named by -StorePath (else the default store), quoting names with
/// spaces so that 'Microsoft Online Services' completes ready to run.
/// </summary>
public abstract class StoreNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (CompleterStore.TryLoad(fakeBoundParameters) is not { } configuration)
        {
            yield break; // an unreadable store just offers nothing
        }

        foreach (CompletionResult result in Complete(GetNames(configuration), wordToComplete))
        {
            yield return result;
        }
    }

    /// <summary>The candidates for this parameter.</summary>
    protected abstract IEnumerable<string> GetNames(CasbConfiguration configuration);

    internal static IEnumerable<CompletionResult> Complete(IEnumerable<string> names, string? wordToComplete)
    {
        WildcardPattern pattern = CompleterStore.Pattern(wordToComplete);
        foreach (string name in names.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
        {
            if (pattern.IsMatch(name))
            {
                yield return new CompletionResult(Quote(name), DisplayText.Safe(name), CompletionResultType.ParameterValue, DisplayText.Safe(name));
            }
        }
    }

    /// <summary>Single-quotes a name when PowerShell would otherwise split or interpret it.</summary>
    internal static string Quote(string name) =>
        name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.')
            ? name
            : "'" + name.Replace("'", "''") + "'";
}

/// <summary>Completes app names.</summary>
public sealed class AppNameCompleter : StoreNameCompleter
{
    protected override IEnumerable<string> GetNames(CasbConfiguration configuration) => configuration.Apps.Select(a => a.Name);
}

/// <summary>Completes group names.</summary>
public sealed class GroupNameCompleter : StoreNameCompleter
{
    protected override IEnumerable<string> GetNames(CasbConfiguration configuration) => configuration.Groups.Select(g => g.Name);
}

/// <summary>Completes conditional-access policy names.</summary>
public sealed class ConditionalAccessPolicyNameCompleter : StoreNameCompleter
{
    protected override IEnumerable<string> GetNames(CasbConfiguration configuration) =>
        configuration.ConditionalAccessPolicies.Select(p => p.Name);
}

/// <summary>Completes access policy names.</summary>
public sealed class AccessPolicyNameCompleter : StoreNameCompleter
{
    protected override IEnumerable<string> GetNames(CasbConfiguration configuration) => configuration.AccessPolicies.Select(p => p.Name);
}

/// <summary>Completes group members (user names already in any group).</summary>
public sealed class GroupMemberCompleter : StoreNameCompleter
{
    protected override IEnumerable<string> GetNames(CasbConfiguration configuration) => configuration.Groups.SelectMany(g => g.Members);
}

/// <summary>Completes device tags: the display names and their compact aliases; no store needed.</summary>
public sealed class DeviceTagCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        StoreNameCompleter.Complete(
            CasbCore.Certificates.DeviceTags.Known.SelectMany(tag => new[] { tag, Compact(tag) }),
            wordToComplete);

    /// <summary>"Valid client certificate" -> "ValidClientCertificate", the alias DeviceTags.Normalize accepts.</summary>
    private static string Compact(string tag) =>
        string.Concat(tag.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(word => char.ToUpperInvariant(word[0]) + word[1..]));
}

/// <summary>Completes session policy names.</summary>
public sealed class SessionPolicyNameCompleter : StoreNameCompleter
{
    protected override IEnumerable<string> GetNames(CasbConfiguration configuration) => configuration.SessionPolicies.Select(p => p.Name);
}
