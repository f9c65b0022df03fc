using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CasbCore.Model;
using CasbCore.Store;

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

        bool issuer = string.Equals(parameterName, "Issuer", StringComparison.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (RevocationListEntry entry in configuration.RevocationLists)
        {
            string value = issuer ? entry.Issuer : entry.Id;
            if ((pattern.IsMatch(value) || (!issuer && pattern.IsMatch(entry.Issuer))) && seen.Add(value))
            {
                string text = value.Contains(' ') || value.Contains(',') ? $"'{value.Replace("'", "''")}'" : value;
                yield return new CompletionResult(
                    text, issuer ? value : $"{entry.Issuer} #{entry.CrlNumber}", CompletionResultType.ParameterValue,
                    $"{entry.Issuer}: CRL number {entry.CrlNumber ?? "none"}, {entry.RevokedCount} revoked, next update {entry.NextUpdate:yyyy-MM-dd}");
            }
        }
    }
}
