using CasbCore;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CasbCore.Gateways;
using CasbCore.Store;

namespace CasbModule.Completers;

/// <summary>Completes gateway names from the records of the store named by -StorePath (or the default store).</summary>
public sealed class GatewayNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string? storePath = CompleterStore.GetStorePath(fakeBoundParameters);
        WildcardPattern pattern = CompleterStore.Pattern(wordToComplete);
        IReadOnlyList<GatewayRecord> records;
        try
        {
            records = GatewayProcesses.ReadRecords(CasbStore.ResolvePath(storePath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            yield break;
        }

        foreach (GatewayRecord record in records.Where(r => pattern.IsMatch(r.Name)))
        {
            yield return new CompletionResult(record.Name, DisplayText.Safe(record.Name), CompletionResultType.ParameterValue, DisplayText.Safe(record.Url));
        }
    }
}
