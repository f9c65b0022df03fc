using System.Management.Automation;
using System.Reflection;
using CasbModule.Cmdlets;

namespace CasbModule.Tests.Cmdlets;

/// <summary>Every parameter that names a store item completes its names, so that a new cmdlet cannot forget it.</summary>
public sealed class ItemNameCompleterTests
{
    /// <summary>Parameters that name an app, a group or a user of the store, on every cmdlet of the module.</summary>
    private static readonly HashSet<string> ItemParameters = ["App", "Group", "IncludeGroup", "ExcludeGroup", "Member", "UserName"];

    [Fact]
    public void Every_parameter_naming_an_app_or_group_has_an_argument_completer()
    {
        string[] missing = typeof(AddCasbAppCommand).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<CmdletAttribute>() is not null)
            .SelectMany(t => t.GetProperties().Select(p => (Cmdlet: t, Property: p)))
            .Where(x => ItemParameters.Contains(x.Property.Name) && x.Property.GetCustomAttributes<ParameterAttribute>().Any())
            .Where(x => x.Property.GetCustomAttribute<ArgumentCompleterAttribute>() is null)
            .Select(x => $"{x.Cmdlet.Name}.{x.Property.Name}")
            .ToArray();

        Assert.Empty(missing);
    }

    [Fact]
    public void Get_CasbActivity_App_completes_the_store_apps_through_TabExpansion2()
    {
        string store = Directory.CreateTempSubdirectory("casb-complete-").FullName;
        try
        {
            using var host = new PowerShellHost();
            host.Run("Add-CasbApp -StorePath $store -Name 'Payroll' -Upstream http://127.0.0.1:8080; Add-CasbApp -StorePath $store -Name 'Mail' -Upstream http://127.0.0.1:8081",
                new Dictionary<string, object?> { ["store"] = store });
            string line = $"Get-CasbActivity -StorePath '{store}' -App Pay";

            var (output, errors) = host.Run(
                "(TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText",
                new Dictionary<string, object?> { ["line"] = line });

            Assert.Empty(errors);
            Assert.Equal(["Payroll"], output.Select(o => o.ToString().Trim('\'', '"')));
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }
}
