using CasbCore;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CasbCore.Model;

namespace CasbModule.Completers;

/// <summary>Completes trusted-root thumbprints from the store named by -StorePath (or the default store).</summary>
public sealed class TrustedRootThumbprintCompleter : IArgumentCompleter
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

        foreach (TrustedRootEntry entry in configuration.TrustedRoots)
        {
            if (pattern.IsMatch(entry.Thumbprint) || pattern.IsMatch(entry.Subject))
            {
                yield return new CompletionResult(
                    entry.Thumbprint, entry.Thumbprint, CompletionResultType.ParameterValue,
                    DisplayText.Safe($"{entry.Kind}: {entry.Subject} (until {entry.NotAfter:yyyy-MM-dd})"));
            }
        }
    }
}
