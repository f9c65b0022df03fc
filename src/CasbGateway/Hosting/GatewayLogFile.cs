namespace CasbGateway.Hosting;

/// <summary>Sends stdout and stderr to a file, so a gateway started in the background never writes into a closed pipe.</summary>
internal static class GatewayLogFile
{
    /// <summary>Redirects the console; a log file that cannot be opened is a start failure naming the path and the cause.</summary>
    public static void RedirectConsole(string path)
    {
        FileStream stream;
        try
        {
            if (Directory.Exists(path))
            {
                throw new IOException("it is a folder");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // It names users as they sign in, and the hosts and paths they asked for: the gateway's account only.
            stream = new FileStream(path, CasbCore.OwnerOnly.FileOptions(FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new GatewayStartupException($"Cannot open the log file '{path}': {GatewayStartupException.Cause(ex)}", ex);
        }

        TextWriter writer = TextWriter.Synchronized(new StreamWriter(stream) { AutoFlush = true });
        Console.SetOut(writer);
        Console.SetError(writer);
    }
}
