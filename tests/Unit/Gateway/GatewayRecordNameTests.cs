using System.Diagnostics;
using System.Text.Json;
using CasbCore;
using CasbCore.Gateways;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// Gateway names are one name in any case (Get-/Stop-CasbGateway and the already-running check compare them so), while
/// their record files are not on Linux: Lab.json and lab.json can both exist.
/// </summary>
public sealed class GatewayRecordNameTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("casb-gwrecord-").FullName;
    private readonly string _noGateway = Directory.CreateTempSubdirectory("casb-nogateway-").FullName;
    private readonly Process _live = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;

    public void Dispose()
    {
        _live.Kill();
        _live.Dispose();
        Directory.Delete(_store, recursive: true);
        Directory.Delete(_noGateway, recursive: true);
    }

    [Theory]
    [InlineData("lab")]
    [InlineData("Lab")]
    [InlineData("LAB")]
    public void A_stale_record_of_the_name_in_another_case_never_hides_or_removes_the_running_gateway(string startName)
    {
        WriteRecord("Lab", int.MaxValue - 1, DateTimeOffset.UnixEpoch);
        WriteRecord("lab", _live.Id, new DateTimeOffset(_live.StartTime).ToUniversalTime());

        CasbException error = Assert.Throws<CasbException>(() => GatewayProcesses.Start(Options(startName)));

        Assert.Equal("GatewayAlreadyRunning", error.ErrorId);
        Assert.Contains(_live.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.True(File.Exists(GatewayProcesses.RecordPath(_store, "lab")), "the running gateway's record was removed");
    }

    [Fact]
    public void Stale_records_of_the_name_in_every_case_are_removed_before_a_start()
    {
        WriteRecord("Lab", int.MaxValue - 1, DateTimeOffset.UnixEpoch);
        WriteRecord("LAB", int.MaxValue - 2, DateTimeOffset.UnixEpoch);

        // No gateway program in the folder: the start fails after the records were looked at.
        Assert.Equal("GatewayStartFailed", Assert.Throws<CasbException>(() => GatewayProcesses.Start(Options("lab"))).ErrorId);

        Assert.Empty(GatewayProcesses.ReadRecords(_store));
    }

    private GatewayStartOptions Options(string name) => new() { StorePath = _store, GatewayDirectory = _noGateway, Name = name };

    private void WriteRecord(string name, int processId, DateTimeOffset processStartTime)
    {
        Directory.CreateDirectory(GatewayProcesses.GatewaysDirectory(_store));
        var record = new GatewayRecord
        {
            Name = name, ProcessId = processId, ProcessStartTime = processStartTime, StorePath = _store,
            Url = "https://127.0.0.1:1", HealthUrl = "https://127.0.0.1:1/healthz",
        };
        File.WriteAllText(
            GatewayProcesses.RecordPath(_store, name),
            JsonSerializer.Serialize(record, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
    }
}
