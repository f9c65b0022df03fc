using System.Management.Automation;
using CasbCore;

namespace CasbModule;

/// <summary>Base of every CasbModule cmdlet: path resolution and the engine-error to ErrorRecord mapping.</summary>
public abstract class CasbCmdlet : PSCmdlet
{
    /// <summary>Maps the engine's error kind to PowerShell's category (same names by design).</summary>
    public static ErrorCategory ToCategory(CasbErrorKind kind) =>
        Enum.TryParse(kind.ToString(), out ErrorCategory category) ? category : ErrorCategory.NotSpecified;

    public static ErrorRecord ToErrorRecord(CasbException exception) =>
        new(exception, exception.ErrorId, ToCategory(exception.Kind), exception.Target);

    /// <summary>Stops the cmdlet with the engine's error id and category.</summary>
    protected void ThrowCasbError(CasbException exception) => ThrowTerminatingError(ToErrorRecord(exception));

    /// <summary>Reports one bad item of a pipeline and lets the cmdlet go on with the next.</summary>
    protected void WriteCasbError(CasbException exception) => WriteError(ToErrorRecord(exception));

    // The members below hide Cmdlet's own so that every message this module shows goes through DisplayText: an
    // error, warning or what-if text can carry a certificate subject from a file or a name from an imported
    // configuration, and raw ESC or bidi characters in it would act on the admin's terminal. Exception messages,
    // TargetObject and the store keep the exact text.

    /// <summary>Cmdlet.ThrowTerminatingError, with the shown message made safe.</summary>
    public new void ThrowTerminatingError(ErrorRecord errorRecord) => base.ThrowTerminatingError(Displayable(errorRecord));

    /// <summary>Cmdlet.WriteError, with the shown message made safe.</summary>
    public new void WriteError(ErrorRecord errorRecord) => base.WriteError(Displayable(errorRecord));

    public new void WriteWarning(string text) => base.WriteWarning(DisplayText.Safe(text));

    public new void WriteVerbose(string text) => base.WriteVerbose(DisplayText.Safe(text));

    public new void WriteDebug(string text) => base.WriteDebug(DisplayText.Safe(text));

    public new bool ShouldProcess(string target) => base.ShouldProcess(DisplayText.Safe(target));

    public new bool ShouldProcess(string target, string action) => base.ShouldProcess(DisplayText.Safe(target), DisplayText.Safe(action));

    /// <summary>
    /// <paramref name="record"/> with ErrorDetails holding a display-safe message (and a safe target name) when
    /// its message would show a control or bidi character.
    /// </summary>
    internal static ErrorRecord Displayable(ErrorRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        string message = record.ErrorDetails?.Message ?? record.Exception?.Message ?? "";
        if (!DisplayText.IsSafe(message))
        {
            record.ErrorDetails = new ErrorDetails(DisplayText.Safe(message)) { RecommendedAction = record.ErrorDetails?.RecommendedAction };
        }

        if (!DisplayText.IsSafe(record.CategoryInfo.TargetName))
        {
            record.CategoryInfo.TargetName = DisplayText.Safe(record.CategoryInfo.TargetName);
        }

        return record;
    }

    protected void ThrowError(string errorId, ErrorCategory category, string message, object? target, Exception? inner = null) =>
        ThrowTerminatingError(new ErrorRecord(inner is null ? new InvalidOperationException(message) : new InvalidOperationException(message, inner), errorId, category, target));

    /// <summary>
    /// Resolves a -Path argument (wildcards allowed) to file-system paths. A path that matches nothing, or that is not
    /// on the file system, is reported as one non-terminating CertificateFileNotFound error naming it, and yields none.
    /// </summary>
    /// <param name="path">What the user typed.</param>
    /// <param name="what">What the files are, for the message ("certificate file", "CRL file").</param>
    protected IReadOnlyList<string> ResolveFiles(string path, string what)
    {
        var files = new List<string>();
        string why = $"No {what} matches";
        try
        {
            System.Collections.ObjectModel.Collection<string> resolved =
                SessionState.Path.GetResolvedProviderPathFromPSPath(path, out ProviderInfo provider);
            if (provider.Name == "FileSystem")
            {
                files.AddRange(resolved);
            }
            else
            {
                why = $"Not a file-system path (the {provider.Name} provider)";
            }
        }
        catch (SessionStateException)
        {
            // A missing item, drive or provider: reported below like a wildcard that matches nothing.
        }

        if (files.Count == 0)
        {
            WriteCasbError(new CasbException(
                "CertificateFileNotFound", CasbErrorKind.ObjectNotFound, $"{why}: '{path}'.", path));
        }

        return files;
    }

    /// <summary>The store a -StorePath/-From/-To argument names: a URI as given, a folder relative to the current location.</summary>
    protected CasbCore.Store.IConfigurationStore OpenStore(string? location) =>
        CasbCore.Store.ConfigurationStores.Open(
            location is null || CasbCore.Store.ConfigurationStores.IsDatabaseUri(location) ? location : ResolveFileSystemPath(location));

    /// <summary>A file-system path as the user typed it, relative to the current PowerShell location.</summary>
    protected string ResolveFileSystemPath(string path) =>
        SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
