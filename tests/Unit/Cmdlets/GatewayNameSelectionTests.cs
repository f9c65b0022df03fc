using System.Management.Automation;
using System.Text.Json;
using CasbCore.Gateways;

namespace CasbModule.Tests.Cmdlets;

/// <summary>Get-/Stop-CasbGateway -Name as the other -Name parameters read it: a text that is no valid pattern is a literal name.</summary>
public sealed class GatewayNameSelectionTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("casb-gwname-").FullName;
    private readonly PowerShellHost _host = new();

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_store, recursive: true);
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string cmdlet in new[] { "Get-CasbGateway", "Stop-CasbGateway" })
        {
            foreach (string name in new[] { "lab[", "lab[x", "la`", "[", "lab*[" })
            {
                data.Add(cmdlet, name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_name_that_is_no_valid_pattern_is_GatewayNotFound_not_a_RuntimeException(string cmdlet, string name)
    {
        WriteStaleRecord("lab");

        (_, IReadOnlyList<ErrorRecord> errors) = _host.Run(
            $"{cmdlet} -StorePath $store -Name $name",
            new Dictionary<string, object?> { ["store"] = _store, ["name"] = name });

        ErrorRecord error = Assert.Single(errors);
        Assert.Equal("GatewayNotFound", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.True(File.Exists(GatewayProcesses.RecordPath(_store, "lab")));
    }

    private void WriteStaleRecord(string name)
    {
        Directory.CreateDirectory(GatewayProcesses.GatewaysDirectory(_store));
        var record = new GatewayRecord { Name = name, ProcessId = int.MaxValue - 1, Url = "https://127.0.0.1:1", HealthUrl = "https://127.0.0.1:1/healthz", StorePath = _store };
        File.WriteAllText(GatewayProcesses.RecordPath(_store, name), JsonSerializer.Serialize(record, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
    }
}
