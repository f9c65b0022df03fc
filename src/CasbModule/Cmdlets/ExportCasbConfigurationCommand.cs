using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.Store;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Exports the whole configuration to a JSON file (policy as code).</para>
/// <para type="description">Writes the store's configuration, with its schema version, to a file: gateway settings, trusted roots and intermediates, certificate revocation lists, apps, groups, conditional-access, access and session policies. The file is the same human-diffable JSON as the store and can be kept in source control and applied elsewhere with Import-CasbConfiguration. An existing file is not overwritten unless -Force is given (error FileExists). A store that has no configuration (nothing was ever written to it, as with a mistyped -StorePath) is not exported (error StoreEmpty), so an empty file can never reach Import-CasbConfiguration -Replace.</para>
/// </summary>
/// <example>
/// <code>Export-CasbConfiguration -Path ./casb-policies.json</code>
/// <para>Saves the configuration of the default store.</para>
/// </example>
/// <example>
/// <code>Export-CasbConfiguration -StorePath ./lab-store -Path ./casb-policies.json -Force -PassThru</code>
/// <para>Overwrites the file with the lab store's configuration and returns the file.</para>
/// </example>
[Cmdlet(VerbsData.Export, "CasbConfiguration", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportCasbConfigurationCommand : CasbStoreCmdlet
{
    /// <summary><para>The file to write.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary><para>Overwrites an existing file.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para>Returns the written file.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>The store has no configuration document: nothing was ever written to it.</summary>
    public const string StoreEmptyErrorId = "StoreEmpty";

    protected override void EndProcessing()
    {
        string path = ResolveFileSystemPath(Path);
        if (Directory.Exists(path))
        {
            ThrowError("FileExists", ErrorCategory.ResourceExists, $"'{path}' is a folder; give a file name such as {System.IO.Path.Combine(path, "casb-configuration.json")}.", path);
        }

        if (File.Exists(path) && !Force)
        {
            ThrowError("FileExists", ErrorCategory.ResourceExists, $"The file '{path}' already exists. Use -Force to overwrite it.", path);
        }

        // A store never written to would export as an empty configuration, which Import-CasbConfiguration -Replace applies
        // by removing everything; Copy-CasbStore refuses it the same way.
        CasbConfiguration configuration;
        try
        {
            configuration = Store.ReadWritten(StoreEmptyErrorId, "export").Configuration;
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
            throw; // unreachable: ThrowTerminatingError throws
        }

        if (!ShouldProcess(path, $"Export configuration revision {configuration.Revision} of '{Store.Location}'"))
        {
            return;
        }

        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            string? folder = System.IO.Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }

            File.WriteAllBytes(temp, CasbStore.Serialize(configuration));
            // Without -Force the move itself refuses a file that appeared since the check above (another export, an
            // editor): on Unix .NET links the new name, which fails atomically if it exists, instead of renaming over it.
            File.Move(temp, path, overwrite: Force);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            bool appeared = !Force && File.Exists(path);
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // The temp file is only debris; the export error below is what matters.
            }

            if (appeared)
            {
                ThrowError("FileExists", ErrorCategory.ResourceExists, $"The file '{path}' was created while the configuration was exported. Use -Force to overwrite it.", path);
            }

            ThrowCasbError(new CasbException("ExportFailed", CasbErrorKind.WriteError, $"Cannot write the file '{path}': {ex.Message}", path, ex));
        }

        if (PassThru)
        {
            WriteObject(new FileInfo(path));
        }
    }
}
