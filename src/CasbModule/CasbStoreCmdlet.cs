using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.Store;

namespace CasbModule;

/// <summary>Base of the cmdlets that read or change the configuration store.</summary>
public abstract class CasbStoreCmdlet : CasbCmdlet
{
    private IConfigurationStore? _store;
    private string? _storeFor;

    /// <summary>
    /// <para>The store: a folder, or a PostgreSQL database as postgresql://user@host:port/database (the password comes from
    /// PGPASSWORD or the passfile, never from the URI). Default: $env:CASB_STORE, else ~/.casb (Linux, macOS) or
    /// %LOCALAPPDATA%\Casb (Windows).</para>
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorePath { get; set; }

    /// <summary>
    /// The store this pipeline item works on. Re-resolved when StorePath changes between items (objects piped from
    /// several stores each go back to their own).
    /// </summary>
    protected IConfigurationStore Store
    {
        get
        {
            if (_store is null || !string.Equals(_storeFor, StorePath, StringComparison.Ordinal))
            {
                try
                {
                    _store = OpenStore(StorePath);
                }
                catch (CasbException ex)
                {
                    ThrowCasbError(ex); // a malformed URI, or one with a password
                    throw;
                }

                _storeFor = StorePath;
            }

            return _store;
        }
    }


    /// <summary>Loads the configuration, turning an engine failure into a terminating error.</summary>
    protected CasbConfiguration LoadConfiguration()
    {
        try
        {
            return Store.Load();
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
            throw; // unreachable: ThrowTerminatingError throws
        }
    }

    /// <summary>Runs a store update, turning an engine failure into a terminating error.</summary>
    protected T UpdateConfiguration<T>(Func<CasbConfiguration, T> mutate)
    {
        try
        {
            return Store.Update(mutate);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
            throw;
        }
    }

    /// <summary>
    /// Reports the failure of the item this call brought. A row from the pipeline (Import-Csv, another cmdlet's objects)
    /// gets a non-terminating error, so that one bad row stops none of the rows after it; a single call keeps its
    /// terminating error, which a try/catch around it catches. A failure of the store itself (locked, corrupt,
    /// unreachable: the Store* ids) would fail every row alike and always ends the cmdlet.
    /// </summary>
    protected void ReportItemError(CasbException exception)
    {
        if (MyInvocation.ExpectingInput && !exception.ErrorId.StartsWith("Store", StringComparison.Ordinal))
        {
            WriteCasbError(exception);
            return;
        }

        ThrowCasbError(exception);
    }

    /// <summary>Runs a store update for the item this call brought; a failure goes to <see cref="ReportItemError"/> and null is returned.</summary>
    protected T? UpdateItem<T>(Func<CasbConfiguration, T> mutate)
        where T : class
    {
        try
        {
            return Store.Update(mutate);
        }
        catch (CasbException ex)
        {
            ReportItemError(ex);
            return null;
        }
    }
}
