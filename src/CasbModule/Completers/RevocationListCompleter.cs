using CasbCore;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CasbCore.Model;

namespace CasbModule.Completers;

/// <summary>Completes CRL ids (-Id) and issuer names (-Issuer) from the store named by -StorePath (or the default store).</summary>
public sealed class RevocationListCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName,
        string parameterName,
        string wordToComplete,
        CommandAst commandAst,
        IDictionary fakeBoundParameters)
    {
        WildcardPattern pattern = CompleterStore.Pattern(wordToComplete);
        if (CompleterStore.TryLoad(fakeBoundParameters) is not { } configuration)
        {
            yield break; // no completion from a store that cannot be read; the command itself will report why
        }

        bool issuer = string.Equals(parameterName, "Issuer", StringComparison.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (RevocationListEntry entry in configuration.RevocationLists)
        {
            string value = issuer ? entry.Issuer : entry.Id;
            if ((pattern.IsMatch(value) || (!issuer && pattern.IsMatch(entry.Issuer))) && seen.Add(value))
            {
                yield return new CompletionResult(
                    StoreNameCompleter.Quote(value), DisplayText.Safe(issuer ? value : $"{entry.Issuer} #{entry.CrlNumber}"), CompletionResultType.ParameterValue,
                    DisplayText.Safe($"{entry.Issuer}: {(entry.BaseCrlNumber is { } baseNumber ? $"delta CRL of base {baseNumber}, " : "")}CRL number {entry.CrlNumber ?? "none"}, {entry.RevokedCount} revoked, next update {entry.NextUpdate?.ToString("yyyy-MM-dd") ?? "none"}"));
            }
        }
    }
}
