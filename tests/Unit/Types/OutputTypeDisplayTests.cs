using System.Collections;
using System.Management.Automation;
using System.Reflection;
using System.Text;
using CasbCore;
using CasbCore.Activity;
using CasbCore.Certificates;
using CasbModule.Tests.Cmdlets;
using CasbModule.Types;

namespace CasbModule.Tests.Types;

/// <summary>
/// Every output type of the module, built by reflection from engine values whose every string is hostile
/// (<see cref="Poison"/>), must show no control or bidi character: not through a property, not through a nested
/// engine object, and not in what PowerShell renders from the module's views. A new output type, a new property
/// or a new engine field is covered without touching this file.
/// </summary>
public sealed class OutputTypeDisplayTests : IDisposable
{
    // Ways an admin looks at objects: the module's default view, its table and list views, every property, nested
    // objects, and no view at all.
    private static readonly string[] Renderings =
    {
        "$o | Out-String -Width 4000",
        "$o | Format-Table | Out-String -Width 4000",
        "$o | Format-Table -AutoSize | Out-String -Width 20000",
        "$o | Format-List | Out-String -Width 4000",
        "$o | Format-List * | Out-String -Width 4000",
        "$o | Format-Table * -AutoSize | Out-String -Width 20000",
        "$o | Format-Custom -Depth 4 | Out-String -Width 4000",
        "$o | Select-Object * | Out-String -Width 4000",
    };

    private readonly PowerShellHost _host = new(ModuleFiles.FormatFile);

    public static TheoryData<string> OutputTypes()
    {
        var data = new TheoryData<string>();
        foreach (Type type in OutputTypeList())
        {
            data.Add(type.Name);
        }

        return data;
    }

    [Fact]
    public void Every_output_type_is_found()
    {
        // The generated list must not shrink to nothing (a namespace rename would make the theory vacuous).
        Assert.Contains(typeof(CasbActivity), OutputTypeList());
        Assert.Contains(typeof(CasbCertificateValidation), OutputTypeList());
        Assert.True(OutputTypeList().Count >= 13, string.Join(", ", OutputTypeList().Select(t => t.Name)));
    }

    [Theory]
    [MemberData(nameof(OutputTypes))]
    public void No_property_of_an_output_type_shows_a_control_character(string typeName)
    {
        object output = Build(OutputTypeList().Single(t => t.Name == typeName));

        List<(string Path, string Text)> strings = Strings(output, typeName).ToList();

        Assert.NotEmpty(strings);
        Assert.Contains(strings, s => s.Text.Contains(DisplayText.Safe(Poison.Payload), StringComparison.Ordinal));
        Assert.All(strings, s => Assert.True(DisplayText.IsSafe(s.Text), $"{s.Path} shows {Describe(s.Text)}"));
    }

    [Theory]
    [MemberData(nameof(OutputTypes))]
    public void No_rendering_of_an_output_type_shows_a_control_character(string typeName)
    {
        object output = Build(OutputTypeList().Single(t => t.Name == typeName));

        foreach (string rendering in Renderings)
        {
            string text = Render(output, rendering);
            Assert.True(RenderedSafe(text), $"{typeName}: '{rendering}' shows {Describe(text)}:\n{text}");
        }
    }

    [Fact]
    public void The_rendering_harness_sees_raw_escapes()
    {
        // The check above can fail: the same renderer passes a raw string straight through.
        string text = Render(new PSObject(new { Path = Poison.For("raw") }), "$o | Format-Table | Out-String -Width 4000");

        Assert.Contains("\u001b[31m", text);
        Assert.False(RenderedSafe(text));
    }

    [Fact]
    public void Every_activity_field_reaches_the_list_and_table_views_escaped()
    {
        ActivityRecord record = (ActivityRecord)Poison.Make(typeof(ActivityRecord), "record")!;
        var activity = (CasbActivity)Build(typeof(CasbActivity), record);

        string all = Render(activity, "$o | Format-List * | Out-String -Width 4000");
        string table = Render(activity, "$o | Format-Table -AutoSize | Out-String -Width 20000");

        // Every string the log carries (found by reflection) is shown, escaped, in Format-List *.
        foreach (string field in StringFields(typeof(ActivityRecord)))
        {
            Assert.True(all.Contains(Poison.Shown($"record.{field}"), StringComparison.Ordinal), $"{field} is not shown escaped:\n{all}");
        }

        // Every string column of the table view (read from the view definition) shows its field escaped.
        foreach (string column in ViewColumns("CasbModule.Types.CasbActivity").Where(c => typeof(CasbActivity).GetProperty(c)?.PropertyType == typeof(string)))
        {
            Assert.True(table.Contains(Poison.Shown($"record.{column}"), StringComparison.Ordinal), $"column {column} is not shown escaped:\n{table}");
        }

        // Conditional-access results are shown as "Policy: Outcome".
        Assert.Contains(DisplayText.Safe($"{Poison.For("record.ConditionalAccess[0].Policy")}: "), all, StringComparison.Ordinal);
        Assert.True(RenderedSafe(all) && RenderedSafe(table));
        Assert.Same(record, activity.GetRecord());
        Assert.Equal(Poison.For("record.UserAgent"), activity.GetRecord().UserAgent);
    }

    [Fact]
    public void The_display_copy_of_a_certificate_result_keeps_every_property()
    {
        // Every property is set to a non-default value, so one the copy drops (a property added to
        // CertificateValidationResult later) shows up as a difference.
        var original = (CertificateValidationResult)Poison.Make(typeof(CertificateValidationResult), "certificate", hostile: false)!;
        MethodInfo copy = typeof(CasbActivity).Assembly.GetType("CasbModule.Types.Display")!
            .GetMethod("Safe", new[] { typeof(CertificateValidationResult) })!;

        var copied = (CertificateValidationResult)copy.Invoke(null, new object[] { original })!;

        foreach (PropertyInfo property in typeof(CertificateValidationResult).GetProperties())
        {
            object? expected = property.GetValue(original);
            object? actual = property.GetValue(copied);
            bool same = expected is IEnumerable list and not string
                ? list.Cast<object>().SequenceEqual(((IEnumerable)actual!).Cast<object>())
                : Equals(expected, actual);
            Assert.True(same, $"{property.Name}: {expected} became {actual}");
        }
    }

    public void Dispose() => _host.Dispose();

    private string Render(object output, string rendering)
    {
        // Ansi keeps raw escapes in data (PlainText would strip ESC sequences and hide the bug); the module's own
        // header accents are turned off, and PowerShell's reset after each header cell is taken out.
        string script = "$PSStyle.OutputRendering = 'Ansi'; $PSStyle.Formatting.TableHeader = ''; " +
                        "$PSStyle.Formatting.FormatAccent = ''; $PSStyle.Formatting.CustomTableHeaderLabel = ''; " + rendering;
        (System.Collections.ObjectModel.Collection<PSObject> result, IReadOnlyList<ErrorRecord> errors) =
            _host.Run(script, new Dictionary<string, object?> { ["o"] = output });
        Assert.Empty(errors);
        return string.Concat(result.Select(r => r.ToString())).Replace("\u001b[0m", "", StringComparison.Ordinal);
    }

    private static IReadOnlyList<Type> OutputTypeList() =>
        typeof(CasbActivity).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "CasbModule.Types" && t.IsClass && !t.IsAbstract)
            .Where(t => t.GetConstructors(BindingFlags.NonPublic | BindingFlags.Instance).Length > 0)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToList();

    private static object Build(Type type, params object[] given)
    {
        ConstructorInfo constructor = type.GetConstructors(BindingFlags.NonPublic | BindingFlags.Instance)
            .OrderByDescending(c => c.GetParameters().Length).First();
        object?[] arguments = constructor.GetParameters()
            .Select(p => given.FirstOrDefault(g => p.ParameterType.IsInstanceOfType(g)) ?? Poison.Make(p.ParameterType, $"{type.Name}({p.Name})"))
            .ToArray();
        return constructor.Invoke(arguments);
    }

    /// <summary>Every string reachable from <paramref name="value"/> through public properties, elements and ToString().</summary>
    private static IEnumerable<(string Path, string Text)> Strings(object? value, string path, int depth = 0)
    {
        switch (value)
        {
            case null:
                yield break;
            case string text:
                yield return (path, text);
                yield break;
            case Uri uri:
                yield return (path, uri.ToString());
                yield break;
            case Enum or ValueType:
                yield return (path, value.ToString() ?? "");
                yield break;
            case IEnumerable items:
                int index = 0;
                foreach (object? item in items)
                {
                    foreach ((string, string) found in Strings(item, $"{path}[{index++}]", depth + 1))
                    {
                        yield return found;
                    }
                }

                yield break;
        }

        yield return ($"{path}.ToString()", value.ToString() ?? "");
        string? assembly = value.GetType().Assembly.GetName().Name;
        if (depth > 6 || assembly is not ("CasbCore" or "CasbModule"))
        {
            yield break;
        }

        foreach (PropertyInfo property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0)
            {
                foreach ((string, string) found in Strings(property.GetValue(value), $"{path}.{property.Name}", depth + 1))
                {
                    yield return found;
                }
            }
        }
    }

    /// <summary>The names of <paramref name="type"/>'s string and string-list properties.</summary>
    private static IEnumerable<string> StringFields(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(string) || typeof(IEnumerable<string>).IsAssignableFrom(p.PropertyType))
            .Select(p => p.PropertyType == typeof(string) ? p.Name : p.Name + "[0]");

    /// <summary>The PropertyName columns of the table view selected by <paramref name="typeName"/>.</summary>
    private static IEnumerable<string> ViewColumns(string typeName)
    {
        var views = System.Xml.Linq.XElement.Parse($"<Views>{ModuleFiles.Views()}</Views>");
        return views.Elements("View")
            .Where(v => v.Element("ViewSelectedBy")?.Element("TypeName")?.Value == typeName && v.Element("TableControl") is not null)
            .SelectMany(v => v.Descendants("TableColumnItem"))
            .Select(i => i.Element("PropertyName")?.Value)
            .OfType<string>();
    }

    /// <summary>True when the only control characters in rendered text are PowerShell's own line ends.</summary>
    private static bool RenderedSafe(string text) => DisplayText.IsSafe(text.Replace("\r\n", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));

    private static string Describe(string text)
    {
        var found = new StringBuilder();
        foreach (char c in text.Where(c => c != '\n' && DisplayText.NeedsEscape(c)).Distinct())
        {
            found.Append($"U+{(int)c:X4} ");
        }

        return found.ToString().Trim();
    }
}
