using System.Management.Automation;
using CasbCore.Model;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the apps the gateway protects.</para>
/// <para type="description">Returns the apps in the store, all of them or those whose names match. Names accept wildcards; a name without wildcards that matches no app is reported with the error AppNotFound.</para>
/// </summary>
/// <example>
/// <code>Get-CasbApp</code>
/// <para>Lists every app with its upstream, host names and path prefix.</para>
/// </example>
/// <example>
/// <code>Get-CasbApp -Name 'Microsoft*' | Format-List</code>
/// <para>Shows every detail of the apps whose names start with Microsoft.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CasbApp")]
[OutputType(typeof(CasbApp))]
public sealed class GetCasbAppCommand : CasbItemCmdlet
{
    /// <summary><para>Names of the apps to get; wildcards allowed. Default: all apps.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        CasbConfiguration configuration = LoadConfiguration();
        foreach (AppEntry app in NameSelection.Select(configuration.Apps, a => a.Name, Name, name => WriteNotFound("AppNotFound", "app", name)))
        {
            WriteObject(new CasbApp(app, Store.Location));
        }
    }
}
