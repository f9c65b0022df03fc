using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace CasbModule.Completers;

/// <summary>The store path a completer reads: the -StorePath already typed (relative to the current location), else the default.</summary>
internal static class CompleterStore
{
    public static string? GetStorePath(IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters?["StorePath"] is not { } value)
        {
            return null;
        }

        string path = LanguagePrimitives.ConvertTo<string>(value);
        if (string.IsNullOrWhiteSpace(path) || System.IO.Path.IsPathRooted(path))
        {
            return path;
        }

        string? location = GetCurrentFileSystemLocation();
        return location is null ? path : System.IO.Path.Combine(location, path);
    }

    // Completion runs inside a pipeline of the current runspace, so the location is read by a nested command there.
    private static string? GetCurrentFileSystemLocation()
    {
        if (Runspace.DefaultRunspace is null)
        {
            return null;
        }

        try
        {
            using PowerShell powerShell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            powerShell.AddCommand("Microsoft.PowerShell.Management\\Get-Location").AddParameter("PSProvider", "FileSystem");
            return powerShell.Invoke<PathInfo>().FirstOrDefault()?.ProviderPath;
        }
        catch (Exception ex) when (ex is PSInvalidOperationException or RuntimeException or InvalidOperationException)
        {
            return null;
        }
    }
}
