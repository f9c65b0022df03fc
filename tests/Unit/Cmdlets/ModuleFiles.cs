namespace CasbModule.Tests.Cmdlets;

/// <summary>The module's manifest and views, copied next to the tests by the test project.</summary>
internal static class ModuleFiles
{
    private static readonly Lazy<string> Format = new(AssembleFormatFile);

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Module");

    public static string Manifest => Path.Combine(Directory, "CasbModule.psd1");

    /// <summary>The one format file, assembled from the view fragments as build.ps1 does (name order, one ViewDefinitions).</summary>
    public static string FormatFile => Format.Value;

    /// <summary>The view fragments' text, joined.</summary>
    public static string Views() => string.Concat(
        System.IO.Directory.GetFiles(Path.Combine(Directory, "Formats"), "*.format.ps1xml")
            .Order(StringComparer.OrdinalIgnoreCase)
            .Select(File.ReadAllText));

    private static string AssembleFormatFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"casb-tests-{Environment.ProcessId}-{Guid.NewGuid():N}.format.ps1xml");
        File.WriteAllText(path, $"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Configuration>\n  <ViewDefinitions>\n{Views()}  </ViewDefinitions>\n</Configuration>\n");
        // One per test process, read by every runspace it opens: gone with the process, not left in the temp folder.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    }
}
