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

    protected void ThrowError(string errorId, ErrorCategory category, string message, object? target, Exception? inner = null) =>
        ThrowTerminatingError(new ErrorRecord(inner is null ? new InvalidOperationException(message) : new InvalidOperationException(message, inner), errorId, category, target));

    /// <summary>A file-system path as the user typed it, relative to the current PowerShell location.</summary>
    protected string ResolveFileSystemPath(string path) =>
        SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
