using System.Management.Automation;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Imports a configuration file into the store, merging by name or replacing everything.</para>
/// <para type="description">Reads a file written by Export-CasbConfiguration (or by hand, in the same schema) and applies it. By default it merges: apps, groups and policies by name, trusted roots by certificate (a file may name one by its SHA-1 or SHA-256 thumbprint; it is stored under its SHA-1 thumbprint, as Add-CasbTrustedRoot stores it), revocation lists by id; an item in the file replaces the store's item of the same name, items only in the store stay, and the gateway settings and the identity provider are replaced when the file has them (an export never carries the identity provider's secret: the store's own is kept, or give -IdentityProviderClientSecret; IdentityProviderSecretRequired when the store has none). With -Replace the store ends up exactly as the file, and items not in the file are removed. The revision counter keeps moving forward either way. -WhatIf lists, per item, what would be added, updated or removed; -Confirm asks per item. The result is checked as a whole before anything is written: a file that cannot be read, is not valid JSON, has an unknown schema version or inconsistent items (error ImportFileInvalid), or that would leave an invalid configuration (the validator's error id, such as UnknownApp), changes nothing. A delta CRL is imported only as Add-CasbCertificateRevocationList adds one: beside a complete CRL of the same CA and scope, in the store or anywhere in the file, numbered at least its BaseCRLNumber (else CrlDeltaWithoutBase) and below its own number, and never beside a newer delta of the same CA and scope in the file (else CrlOlderThanStored). A CRL without nextUpdate that the store does not already hold is refused as CrlWithoutNextUpdate: an import has no -Force, so take it out of the file and use Add-CasbCertificateRevocationList -Force.</para>
/// </summary>
/// <example>
/// <code>Import-CasbConfiguration -Path ./casb-policies.json -WhatIf</code>
/// <para>Shows what importing the file would add and update.</para>
/// </example>
/// <example>
/// <code>Import-CasbConfiguration -Path ./casb-policies.json -Replace -PassThru</code>
/// <para>Makes the store match the file exactly and lists every item added, updated or removed.</para>
/// </example>
[Cmdlet(VerbsData.Import, "CasbConfiguration", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CasbConfigurationChange))]
public sealed class ImportCasbConfigurationCommand : CasbStoreCmdlet
{
    /// <summary><para>The configuration file to import.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary><para>Replaces the whole configuration with the file's: items not in the file are removed.</para></summary>
    [Parameter]
    public SwitchParameter Replace { get; set; }

    /// <summary><para>The client secret of the identity provider in the file. An export never contains the secret: without this, the file's provider keeps the secret this store already has (the same one, or the current provider's), and a store that has none is the error IdentityProviderSecretRequired.</para></summary>
    [Parameter]
    [ValidateNotNull]
    public System.Security.SecureString? IdentityProviderClientSecret { get; set; }

    /// <summary><para>Returns one object per item added, updated or removed.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        string path = ResolveFileSystemPath(Path);
        ImportFile file = null!;
        try
        {
            file = ConfigurationImport.Read(path);
        }
        catch (CasbException ex)
        {
            ReportItemError(ex); // one bad file of several piped (Get-ChildItem *.json) stops none of the others
            return;
        }

        CasbConfiguration current = LoadConfiguration();
        List<ConfigurationChange> accepted = [];
        foreach (ConfigurationChange change in ConfigurationImport.Plan(current, file, Replace, newClientSecret: IdentityProviderClientSecret is not null))
        {
            string verb = change.Change switch
            {
                ConfigurationChangeKind.Added => "Add",
                ConfigurationChangeKind.Updated => "Update",
                _ => "Remove",
            };
            if (ShouldProcess($"{change.ItemType} '{change.Name}'", $"{verb} {ConfigurationImport.Describe(change.ItemType)} from '{path}'"))
            {
                accepted.Add(change);
            }
        }

        if (accepted.Count == 0)
        {
            return;
        }

        string? clientSecret = IdentityProviderClientSecret is null ? null : new System.Net.NetworkCredential(string.Empty, IdentityProviderClientSecret).Password;
        try
        {
            Store.Update((config, secrets) =>
            {
                ConfigurationImport.Apply(config, file, accepted, secrets, clientSecret);
                return config;
            });
        }
        catch (CasbException ex)
        {
            ReportItemError(ex); // a file that would leave an invalid configuration changes nothing, and the next file is still read
            return;
        }

        if (PassThru)
        {
            WriteObject(accepted.Select(c => new CasbConfigurationChange(c)), enumerateCollection: true);
        }
    }
}
