using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using CasbModule.Cmdlets;

namespace CasbModule.Tests.Cmdlets;

/// <summary>Runs PowerShell in-process with CasbModule imported from the built assembly (sharpjs/PSql ScriptExecutor style).</summary>
public sealed class PowerShellHost : IDisposable
{
    private readonly Runspace _runspace;

    /// <param name="formatFile">A format file to load too (the module's views, <see cref="ModuleFiles.FormatFile"/>).</param>
    public PowerShellHost(string? formatFile = null)
    {
        InitialSessionState state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(typeof(AddCasbAppCommand).Assembly.Location);
        if (formatFile is not null)
        {
            state.Formats.Add(new SessionStateFormatEntry(formatFile));
        }

        _runspace = RunspaceFactory.CreateRunspace(state);
        _runspace.Open();
    }

    /// <summary>Runs a script with <paramref name="variables"/> set; returns the output and the non-terminating errors.</summary>
    public (Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors) Run(string script, IDictionary<string, object?>? variables = null)
    {
        using PowerShell shell = PowerShell.Create(_runspace);
        foreach ((string name, object? value) in variables ?? new Dictionary<string, object?>())
        {
            _runspace.SessionStateProxy.SetVariable(name, value);
        }

        shell.AddScript(script);
        Collection<PSObject> output = shell.Invoke();
        return (output, shell.Streams.Error.ToList());
    }

    public void Dispose() => _runspace.Dispose();
}
