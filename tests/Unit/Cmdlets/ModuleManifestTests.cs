using System.Collections;
using System.Management.Automation.Language;
using System.Reflection;
using System.Runtime.Versioning;
using CasbModule.Cmdlets;

namespace CasbModule.Tests.Cmdlets;

public sealed class ModuleManifestTests
{
    // The first PowerShell release on each .NET: a module built for net{N} loads only in that PowerShell or later.
    // A retarget to a .NET not listed here fails this test until the table (and the manifest) say which one runs it.
    private static readonly Dictionary<int, Version> FirstPowerShellOn = new()
    {
        [8] = new Version(7, 4),
        [9] = new Version(7, 5),
        [10] = new Version(7, 6),
    };

    [Fact]
    public void The_manifest_asks_for_the_PowerShell_that_runs_the_assemblies()
    {
        Hashtable manifest = ReadManifest();
        int dotnet = DotnetMajor(typeof(AddCasbAppCommand).Assembly);

        Assert.Equal(dotnet, DotnetMajor(typeof(CasbCore.CasbEngine).Assembly));
        Assert.True(FirstPowerShellOn.TryGetValue(dotnet, out Version? needed), $"Which PowerShell first runs on .NET {dotnet}? Add it to the table.");
        Assert.Equal(needed, Version.Parse((string)manifest["PowerShellVersion"]!));
    }

    [Fact]
    public void The_manifest_is_for_PowerShell_Core_only()
    {
        // Windows PowerShell 5.1 runs on .NET Framework and cannot load a .NET assembly of this kind.
        Hashtable manifest = ReadManifest();

        Assert.Equal(new object[] { "Core" }, (object[])manifest["CompatiblePSEditions"]!);
        Assert.Equal("CasbModule.dll", manifest["RootModule"]);
    }

    private static int DotnetMajor(Assembly assembly)
    {
        // ".NETCoreApp,Version=v10.0"
        string framework = assembly.GetCustomAttribute<TargetFrameworkAttribute>()!.FrameworkName;
        Assert.StartsWith(".NETCoreApp,Version=v", framework);
        return Version.Parse(framework[".NETCoreApp,Version=v".Length..]).Major;
    }

    private static Hashtable ReadManifest()
    {
        ScriptBlockAst ast = Parser.ParseFile(ModuleFiles.Manifest, out _, out ParseError[] errors);
        Assert.Empty(errors);
        var data = (HashtableAst)ast.Find(a => a is HashtableAst, searchNestedScriptBlocks: false)!;
        return (Hashtable)data.SafeGetValue();
    }
}
