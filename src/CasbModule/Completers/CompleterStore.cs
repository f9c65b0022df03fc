using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace CasbModule.Completers;

/// <summary>The store path a completer reads: the -StorePath already typed (relative to the current location), else the default.</summary>
internal static class CompleterStore
{
    /// <summary>The pattern for what the user has typed so far (quotes stripped), matching case-insensitively.</summary>
    public static WildcardPattern Pattern(string? wordToComplete) =>
        new((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);

    /// <summary>Loads the configuration a completer offers from; null when it cannot be read (completion never throws at the user).</summary>
    public static CasbCore.Model.CasbConfiguration? TryLoad(IDictionary fakeBoundParameters)
    {
        try
        {
            return CasbCore.Store.ConfigurationStores.Open(GetStorePath(fakeBoundParameters)).Load();
        }
        catch (Exception)
        {
            return null;
        }
    }

    public static string? GetStorePath(IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters?["StorePath"] is not { } value)
        {
            return null;
        }

        string path = LanguagePrimitives.ConvertTo<string>(value);
        if (string.IsNullOrWhiteSpace(path) || System.IO.Path.IsPathRooted(path) || CasbCore.Store.ConfigurationStores.IsDatabaseUri(path))
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
