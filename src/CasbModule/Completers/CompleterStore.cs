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

        try
        {
            string? location = Runspace.DefaultRunspace?.SessionStateProxy.Path.CurrentFileSystemLocation.ProviderPath;
            return location is null ? path : System.IO.Path.Combine(location, path);
        }
        catch (PSInvalidOperationException)
        {
            return path;
        }
    }
}
