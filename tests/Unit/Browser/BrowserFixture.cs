using CasbCore.Certificates;
using CasbModule.Tests.Cmdlets;
using Microsoft.Playwright;

namespace CasbModule.Tests.Browser;

/// <summary>
/// Shared by the browser tests: one Playwright driver (Node, shipped in the NuGet package; no browser is downloaded),
/// the lab PKI written as the files a vendor receives, and PowerShell with CasbModule for the admin's and the
/// vendor's steps.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Password = "Lab-Passw0rd";

    private IPlaywright? _playwright;

    public LabPki Pki { get; } = LabPki.Create();

    public string Lab { get; } = Directory.CreateTempSubdirectory("casb-browser-lab-").FullName;

    public PowerShellHost PowerShell { get; } = new();

    /// <summary>The driver; throws (failing the test) with what is missing when the machine lacks the browser.</summary>
    public IPlaywright Playwright => _playwright ?? throw new InvalidOperationException(
        BrowserEnvironment.Missing ?? "Playwright did not start.");

    public string LabFile(string name) => Path.Combine(Lab, name);

    public async Task InitializeAsync()
    {
        Pki.WriteTo(Lab, Password);
        if (BrowserEnvironment.Missing is null)
        {
            _playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        }
    }

    public Task DisposeAsync()
    {
        _playwright?.Dispose();
        PowerShell.Dispose();
        Pki.Dispose();
        try
        {
            Directory.Delete(Lab, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }

    /// <summary>Runs CasbModule commands; a terminating error or any error record fails the test with its text.</summary>
    public IReadOnlyList<object> Run(string script, IDictionary<string, object?>? variables = null)
    {
        (System.Collections.ObjectModel.Collection<System.Management.Automation.PSObject> output, IReadOnlyList<System.Management.Automation.ErrorRecord> errors) =
            PowerShell.Run("$ErrorActionPreference = 'Stop'\n" + script, variables);
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        return output.Select(o => o.BaseObject).ToList();
    }
}
