using System.Management.Automation;
using System.Net;
using System.Net.Sockets;

namespace CasbModule.Tests.Cmdlets;

/// <summary>Get-CasbActivity's failures are error records with the module's stable ids and categories, not .NET exceptions.</summary>
public sealed class ActivityCmdletErrorTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("casb-activity-errors-").FullName;
    private readonly PowerShellHost _host = new();

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_store, recursive: true);
    }

    [Theory]
    [InlineData("-App '[z-a]*'")]
    [InlineData("-User 'vendor[9-0]'")]
    [InlineData("-Device '[b-a]'")]
    public void A_wildcard_that_is_not_one_is_InvalidWildcard_an_invalid_argument(string filter)
    {
        Directory.CreateDirectory(Path.Combine(_store, "activity"));

        var (output, errors) = _host.Run($"Get-CasbActivity -StorePath $store {filter}", new Dictionary<string, object?> { ["store"] = _store });

        Assert.Empty(output);
        ErrorRecord error = Assert.Single(errors);
        Assert.Equal("InvalidWildcard,CasbModule.Cmdlets.GetCasbActivityCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
    }

    [Fact]
    public void A_database_store_that_does_not_answer_is_StoreUnavailable_as_for_every_other_cmdlet()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port; // free again once stopped: nothing answers there
        }

        var (output, errors) = _host.Run(
            "Get-CasbActivity -StorePath $store -First 1", new Dictionary<string, object?> { ["store"] = $"postgresql://casb@127.0.0.1:{port}/casb" });

        Assert.Empty(output);
        ErrorRecord error = Assert.Single(errors);
        Assert.Equal("StoreUnavailable,CasbModule.Cmdlets.GetCasbActivityCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
    }
}
