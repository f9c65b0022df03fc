using System.Collections;
using System.Reflection;
using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
using CasbModule.Tests.Cmdlets;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

/// <summary>
/// JSON numbers bind to any enum value (an import file, a hand-edited store): a value that names nothing must be
/// refused, never evaluated as whichever named value the engine's comparisons happen to fall through to (an access
/// policy's action 2 acting as Test, a conditional-access mode 3 out-ranking UseCustomPolicy and only monitoring).
/// </summary>
public sealed class UndefinedEnumValueTests
{
    /// <summary>Every enum-typed setting of the configuration (single or list), found by walking the model, so a new one is covered too.</summary>
    public static TheoryData<string> EnumSettings()
    {
        var data = new TheoryData<string>();
        foreach ((string path, _) in EnumProperties(Full()))
        {
            data.Add(path);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EnumSettings))]
    public void A_value_that_names_nothing_is_refused_with_Invalid_and_the_setting_name(string path)
    {
        CasbConfiguration configuration = Full();
        Assert.Empty(ConfigurationValidator.Validate(configuration));
        (_, Action<int> set) = EnumProperties(configuration).Single(p => p.Path == path);
        set(97);

        IReadOnlyList<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration);

        string property = path[(path.LastIndexOf('.') + 1)..];
        // Once (a dedicated check such as InvalidSignIn is not repeated), and first: it is the id the refusal carries.
        ConfigurationProblem problem = Assert.Single(problems, p => p.ErrorId == "Invalid" + property);
        Assert.Same(problem, problems[0]);
        Assert.Contains("'97'", problem.Message);
        Assert.Equal("Invalid" + property, Assert.Throws<CasbException>(() => ConfigurationValidator.ThrowIfInvalid(configuration)).ErrorId);
    }

    [Fact]
    public void The_engine_would_have_monitored_what_UseCustomPolicy_blocks_so_the_import_is_refused_and_nothing_is_written()
    {
        // What the refusal prevents: an App Control mode that names nothing out-ranks UseCustomPolicy and only monitors.
        CasbConfiguration unknownMode = Seed();
        unknownMode.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Typo", IncludeUsers = ["All"], SessionControl = SessionControlKind.AppControl, AppControlMode = (AppControlMode)3,
        });
        Assert.Equal(AccessAction.Block, Decide(Seed(), Request()).Action);
        Assert.Equal(AccessAction.Monitor, Decide(unknownMode, Request()).Action);

        string store = Directory.CreateTempSubdirectory("casb-enum-").FullName;
        try
        {
            using var host = new PowerShellHost();
            var variables = new Dictionary<string, object?> { ["store"] = store, ["file"] = Path.Combine(store, "import.json") };
            host.Run("Add-CasbApp -StorePath $store -Name Portal -Upstream http://127.0.0.1:8080", variables);
            File.WriteAllText((string)variables["file"]!, """
                { "schemaVersion": 3,
                  "conditionalAccessPolicies": [ { "name": "Route", "includeUsers": [ "All" ], "sessionControl": "AppControl", "appControlMode": 3 } ],
                  "accessPolicies": [ { "name": "Block all", "action": 2 } ] }
                """);
            byte[] before = File.ReadAllBytes(Path.Combine(store, "casb.json"));

            var (_, errors) = host.Run("Import-CasbConfiguration -StorePath $store -Path $file", variables);

            Assert.Equal("InvalidAppControlMode,CasbModule.Cmdlets.ImportCasbConfigurationCommand", Assert.Single(errors).FullyQualifiedErrorId);
            Assert.Contains("Access policy 'Block all': the Action '2' is not one of Test, Block.", Assert.Single(errors).Exception.Message);
            Assert.Equal(before, File.ReadAllBytes(Path.Combine(store, "casb.json")));
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    /// <summary>The seed with one of everything that has an enum setting.</summary>
    private static CasbConfiguration Full()
    {
        CasbConfiguration configuration = Seed();
        configuration.ConditionalAccessPolicies[0].ClientAppTypes = [ClientAppType.Browser];
        configuration.SessionPolicies.Add(new SessionPolicyEntry { Name = "Audit downloads", Action = SessionPolicyAction.Audit });
        configuration.TrustedRoots.Add(new TrustedRootEntry { Thumbprint = "AB", Subject = "CN=Root", Issuer = "CN=Root", RawData = "" });
        return configuration;
    }

    /// <summary>Each enum property (or enum list element) reachable from the configuration, by path, with a setter of its raw value.</summary>
    private static List<(string Path, Action<int> Set)> EnumProperties(CasbConfiguration configuration)
    {
        var found = new List<(string, Action<int>)>();
        void Walk(object item, string path)
        {
            foreach (PropertyInfo property in item.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (!property.CanRead || property.GetIndexParameters().Length > 0)
                {
                    continue;
                }

                Type type = property.PropertyType;
                object? value = property.GetValue(item);
                string here = $"{path}.{property.Name}";
                if (type.IsEnum && property.CanWrite)
                {
                    found.Add((here, raw => property.SetValue(item, Enum.ToObject(type, raw))));
                }
                else if (value is IList list && type.IsGenericType && type.GetGenericArguments()[0] is { IsEnum: true } element)
                {
                    found.Add((here, raw => list.Add(Enum.ToObject(element, raw))));
                }
                else if (value is IList items && type.IsGenericType && type.GetGenericArguments()[0].Namespace == typeof(CasbConfiguration).Namespace)
                {
                    for (int i = 0; i < items.Count; i++)
                    {
                        Walk(items[i]!, $"{here}[{i}]");
                    }
                }
                else if (value is not null && type.Namespace == typeof(CasbConfiguration).Namespace && type.IsClass)
                {
                    Walk(value, here);
                }
            }
        }

        Walk(configuration, "Configuration");
        return found;
    }
}
