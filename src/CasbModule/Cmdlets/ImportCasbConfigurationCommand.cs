using System.Management.Automation;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Imports a configuration file into the store, merging by name or replacing everything.</para>
/// <para type="description">Reads a file written by Export-CasbConfiguration (or by hand, in the same schema) and applies it. By default it merges: apps, groups and policies by name, trusted roots by thumbprint, revocation lists by id; an item in the file replaces the store's item of the same name, items only in the store stay, and the gateway settings are replaced when the file has them. With -Replace the store ends up exactly as the file, and items not in the file are removed. The revision counter keeps moving forward either way. -WhatIf lists, per item, what would be added, updated or removed; -Confirm asks per item. The result is checked as a whole before anything is written: a file that cannot be read, is not valid JSON, has an unknown schema version or inconsistent items (error ImportFileInvalid), or that would leave an invalid configuration (the validator's error id, such as UnknownApp), changes nothing.</para>
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
    private const string SettingsType = "Settings";

    /// <summary><para>The configuration file to import.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary><para>Replaces the whole configuration with the file's: items not in the file are removed.</para></summary>
    [Parameter]
    public SwitchParameter Replace { get; set; }

    /// <summary><para>Returns one object per item added, updated or removed.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private static IReadOnlyList<IItemKind> Kinds { get; } =
    [
        new ItemKind<TrustedRootEntry>("TrustedRoot", "trusted root", c => c.TrustedRoots, r => r.Thumbprint),
        new ItemKind<RevocationListEntry>("RevocationList", "revocation list", c => c.RevocationLists, r => r.Id),
        new ItemKind<AppEntry>("App", "app", c => c.Apps, a => a.Name),
        new ItemKind<GroupEntry>("Group", "group", c => c.Groups, g => g.Name),
        new ItemKind<ConditionalAccessPolicyEntry>("ConditionalAccessPolicy", "conditional-access policy", c => c.ConditionalAccessPolicies, p => p.Name),
        new ItemKind<AccessPolicyEntry>("AccessPolicy", "access policy", c => c.AccessPolicies, p => p.Name),
    ];

    protected override void ProcessRecord()
    {
        string path = ResolveFileSystemPath(Path);
        (CasbConfiguration imported, bool hasSettings) = ReadFile(path);

        CasbConfiguration current = LoadConfiguration();
        List<CasbConfigurationChange> accepted = [];
        foreach (CasbConfigurationChange change in Plan(current, imported, hasSettings || Replace))
        {
            string verb = change.Change switch
            {
                CasbChangeKind.Added => "Add",
                CasbChangeKind.Updated => "Update",
                _ => "Remove",
            };
            if (ShouldProcess($"{change.ItemType} '{change.Name}'", $"{verb} {Describe(change.ItemType)} from '{path}'"))
            {
                accepted.Add(change);
            }
        }

        if (accepted.Count == 0)
        {
            return;
        }

        UpdateConfiguration(config =>
        {
            foreach (CasbConfigurationChange change in accepted)
            {
                if (change.ItemType == SettingsType)
                {
                    config.Settings = imported.Settings;
                    continue;
                }

                Kinds.First(k => k.Type == change.ItemType).Apply(config, imported, change);
            }

            ConfigurationValidator.ThrowIfInvalid(config);
            return config;
        });

        if (PassThru)
        {
            WriteObject(accepted, enumerateCollection: true);
        }
    }

    private static string Describe(string itemType) =>
        itemType == SettingsType ? "gateway settings" : Kinds.First(k => k.Type == itemType).Display;

    private IEnumerable<CasbConfigurationChange> Plan(CasbConfiguration current, CasbConfiguration imported, bool includeSettings)
    {
        foreach (IItemKind kind in Kinds)
        {
            foreach (CasbConfigurationChange change in kind.Plan(current, imported, Replace))
            {
                yield return change;
            }
        }

        if (includeSettings && !SameJson(current.Settings, imported.Settings))
        {
            yield return new CasbConfigurationChange(SettingsType, "Gateway settings", CasbChangeKind.Updated);
        }
    }

    private (CasbConfiguration Configuration, bool HasSettings) ReadFile(string path)
    {
        byte[] bytes = [];
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowInvalid(path, ex.Message, ex);
        }

        CasbConfiguration configuration = null!;
        bool hasSettings = false;
        try
        {
            configuration = CasbStore.Parse(bytes, path);
            using JsonDocument document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            hasSettings = document.RootElement.EnumerateObject().Any(p => p.NameEquals("settings") && p.Value.ValueKind == JsonValueKind.Object);
        }
        catch (CasbException ex)
        {
            ThrowInvalid(path, ex.Message, ex);
        }

        foreach (IItemKind kind in Kinds)
        {
            string? problem = kind.FindProblem(configuration);
            if (problem is not null)
            {
                ThrowInvalid(path, problem, null);
            }
        }

        foreach (TrustedRootEntry root in configuration.TrustedRoots)
        {
            string? problem = CheckTrustedRoot(root);
            if (problem is not null)
            {
                ThrowInvalid(path, problem, null);
            }
        }

        foreach (RevocationListEntry crl in configuration.RevocationLists)
        {
            if (!TryDecode(crl.RawData, out byte[] der) || !string.Equals(Convert.ToHexString(SHA256.HashData(der)), crl.Id, StringComparison.OrdinalIgnoreCase))
            {
                ThrowInvalid(path, $"the revocation list '{crl.Id}' has data that does not match its id (SHA-256 of the DER CRL).", null);
            }
        }

        return (configuration, hasSettings);
    }

    /// <summary>A trusted root must carry the certificate its thumbprint names: the store trusts RawData, never the label.</summary>
    private static string? CheckTrustedRoot(TrustedRootEntry root)
    {
        if (!TryDecode(root.RawData, out byte[] der))
        {
            return $"the trusted root '{root.Thumbprint}' has no valid base64 certificate data.";
        }

        try
        {
            using X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(der);
            bool matches = string.Equals(certificate.Thumbprint, root.Thumbprint, StringComparison.OrdinalIgnoreCase)
                || string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), root.Thumbprint, StringComparison.OrdinalIgnoreCase);
            if (!matches)
            {
                return $"the trusted root '{root.Thumbprint}' contains the certificate '{certificate.Thumbprint}' ({certificate.Subject}).";
            }

            // Add-CasbTrustedRoot refuses a certificate that is not a CA; an import must not be a way around it.
            bool isAuthority = certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
            return isAuthority ? null : $"the trusted root '{root.Thumbprint}' ({certificate.Subject}) is not a certificate authority.";
        }
        catch (CryptographicException ex)
        {
            return $"the trusted root '{root.Thumbprint}' is not a readable certificate: {ex.Message}";
        }
    }

    private static bool TryDecode(string base64, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrEmpty(base64))
        {
            return false;
        }

        try
        {
            bytes = Convert.FromBase64String(base64);
            return bytes.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private void ThrowInvalid(string path, string why, Exception? inner) =>
        ThrowCasbError(new CasbException(
            "ImportFileInvalid", CasbErrorKind.InvalidData, $"Cannot import '{path}': {why} Nothing was changed.", path, inner));

    private static bool SameJson<T>(T a, T b) =>
        JsonSerializer.Serialize(a, CasbStore.SerializerOptions) == JsonSerializer.Serialize(b, CasbStore.SerializerOptions);

    private interface IItemKind
    {
        string Type { get; }

        string Display { get; }

        IEnumerable<CasbConfigurationChange> Plan(CasbConfiguration current, CasbConfiguration imported, bool replace);

        void Apply(CasbConfiguration config, CasbConfiguration imported, CasbConfigurationChange change);

        string? FindProblem(CasbConfiguration imported);
    }

    private sealed class ItemKind<T>(string type, string display, Func<CasbConfiguration, List<T>> list, Func<T, string> key) : IItemKind
    {
        public string Type => type;

        public string Display => display;

        public IEnumerable<CasbConfigurationChange> Plan(CasbConfiguration current, CasbConfiguration imported, bool replace)
        {
            List<T> existing = list(current);
            foreach (T item in list(imported))
            {
                T? match = existing.FirstOrDefault(e => Same(key(e), key(item)));
                if (match is null)
                {
                    yield return new CasbConfigurationChange(type, key(item), CasbChangeKind.Added);
                }
                else if (!SameJson(match, item))
                {
                    yield return new CasbConfigurationChange(type, key(item), CasbChangeKind.Updated);
                }
            }

            if (replace)
            {
                foreach (T item in existing.Where(e => !list(imported).Any(i => Same(key(i), key(e)))))
                {
                    yield return new CasbConfigurationChange(type, key(item), CasbChangeKind.Removed);
                }
            }
        }

        public void Apply(CasbConfiguration config, CasbConfiguration imported, CasbConfigurationChange change)
        {
            List<T> items = list(config);
            int index = items.FindIndex(e => Same(key(e), change.ExactName));
            if (change.Change == CasbChangeKind.Removed)
            {
                if (index >= 0)
                {
                    items.RemoveAt(index);
                }

                return;
            }

            T incoming = list(imported).First(i => Same(key(i), change.ExactName));
            if (index >= 0)
            {
                items[index] = incoming;
            }
            else
            {
                items.Add(incoming);
            }
        }

        public string? FindProblem(CasbConfiguration imported)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (T item in list(imported))
            {
                string name = key(item);
                if (string.IsNullOrWhiteSpace(name))
                {
                    return $"a {display} has no name.";
                }

                if (!seen.Add(name))
                {
                    return $"the {display} '{name}' appears twice.";
                }
            }

            return null;
        }

        private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    }
}
