using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CasbCore.Model;
using CasbCore.Store;

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
        string word = (wordToComplete ?? "").Trim('\'', '"');
        var pattern = new WildcardPattern(word + "*", WildcardOptions.IgnoreCase);
        CasbConfiguration configuration;
        try
        {
            configuration = CasbStore.Open(CompleterStore.GetStorePath(fakeBoundParameters)).Load();
        }
        catch (Exception ex) when (ex is CasbCore.CasbException or IOException or UnauthorizedAccessException)
        {
            // No completion from a store that cannot be read; the command itself will report why.
            yield break;
        }

        foreach (TrustedRootEntry entry in configuration.TrustedRoots)
        {
            if (pattern.IsMatch(entry.Thumbprint) || pattern.IsMatch(entry.Subject))
            {
                yield return new CompletionResult(
                    entry.Thumbprint, entry.Thumbprint, CompletionResultType.ParameterValue,
                    $"{entry.Kind}: {entry.Subject} (until {entry.NotAfter:yyyy-MM-dd})");
            }
        }
    }
}
