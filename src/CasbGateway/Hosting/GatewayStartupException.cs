namespace CasbGateway.Hosting;

/// <summary>A reason the gateway cannot start; its message is printed on stderr as one line and the process exits 1.</summary>
internal sealed class GatewayStartupException : Exception
{
    public GatewayStartupException(string message, Exception? inner = null)
        : base(OneLine(message), inner)
    {
    }

    /// <summary>
    /// The operating system's reason, in words an admin can act on. .NET's own messages repeat the path and,
    /// for permissions, say only "Access to the path is denied".
    /// </summary>
    public static string Cause(Exception ex) => ex switch
    {
        UnauthorizedAccessException => "permission denied (the gateway's user cannot write there, or the file system is read-only)",
        DirectoryNotFoundException => "a folder on the path does not exist or is a file",
        FileNotFoundException => "the file does not exist",
        PathTooLongException => "the path is too long",
        IOException when ex.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase) => "the file system is read-only",
        IOException when ex.Message.Contains("No space", StringComparison.OrdinalIgnoreCase) => "the disk is full",
        IOException when ex.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase)
            || ex.Message.Contains("Not a directory", StringComparison.OrdinalIgnoreCase) => "a file stands where a folder is needed",
        _ => OneLine(ex.Message),
    };

    /// <summary>Start-CasbGateway shows the admin one line: no stack trace, no inner line breaks.</summary>
    public static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
