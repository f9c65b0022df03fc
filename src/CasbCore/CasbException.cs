namespace CasbCore;

/// <summary>
/// The engine's error kinds. They mirror PowerShell's ErrorCategory by name so the cmdlet layer can map
/// them without the engine referencing System.Management.Automation.
/// </summary>
public enum CasbErrorKind
{
    NotSpecified,
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    ObjectNotFound,
    ResourceExists,
    ResourceUnavailable,
    ResourceBusy,
    SecurityError,
    PermissionDenied,
    ReadError,
    WriteError,
    NotImplemented,
    AuthenticationError,
    OperationTimeout,
    ConnectionError,
}

/// <summary>An engine failure with a stable error id (API: Pester asserts it) and a kind.</summary>
public class CasbException : Exception
{
    public CasbException(string errorId, CasbErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    public string ErrorId { get; }

    public CasbErrorKind Kind { get; }

    public object? Target { get; }
}
