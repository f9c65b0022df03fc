namespace CasbGateway.Hosting;

/// <summary>Sends stdout and stderr to a file, so a gateway started in the background never writes into a closed pipe.</summary>
internal static class GatewayLogFile
{
    public static void RedirectConsole(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        TextWriter writer = TextWriter.Synchronized(new StreamWriter(stream) { AutoFlush = true });
        Console.SetOut(writer);
        Console.SetError(writer);
    }
}
