using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;

namespace CasbCore.Catalogs;

/// <summary>
/// Import-CasbConfiguration's planner: reads a file written by Export-CasbConfiguration (any schema version this
/// engine can upgrade), plans per item what merging or replacing would add, update or remove, and applies the
/// changes the admin accepted. Merging is by name for apps, groups and policies, by thumbprint for trusted roots,
/// by id for CRLs; the identity provider is one item (its secret is the store's, never the file's); the gateway
/// settings are replaced when the file has them. Every kind in <see cref="ConfigurationItems"/> takes part.
/// </summary>
public static class ConfigurationImport
{
    public const string InvalidFileErrorId = "ImportFileInvalid";

    /// <summary>The <see cref="ConfigurationChange.ItemType"/> of the gateway settings.</summary>
    public const string SettingsType = "Settings";

    /// <summary>The <see cref="ConfigurationChange.ItemType"/> of the identity provider (one item, its secret never in the file).</summary>
    public static string IdentityProviderType => ConfigurationItems.IdentityProvider.Type;

    /// <summary>
    /// Reads and checks a file: JSON of a known schema version, no blank or repeated keys, trusted roots that are
    /// no key the model does not have, the CA certificates their thumbprints name, CRLs whose data matches their id. Anything else is
    /// ImportFileInvalid.
    /// </summary>
    public static ImportFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Invalid(path, ex.Message, ex);
        }

        return Read(bytes, path);
    }

    public static ImportFile Read(byte[] bytes, string path)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        CasbConfiguration configuration;
        bool hasSettings;
        try
        {
            configuration = CasbStore.ParseStrict(bytes, path);
            using JsonDocument document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            hasSettings = document.RootElement.EnumerateObject().Any(p => p.NameEquals("settings") && p.Value.ValueKind == JsonValueKind.Object);
        }
        catch (CasbException ex)
        {
            throw Invalid(path, ex.Message, ex);
        }

        // Roots first: each is keyed by its certificate's SHA-1 thumbprint as Add-CasbTrustedRoot keys it, whichever
        // thumbprint the file names it by, so that one CA is one item (a second entry would keep it trusted after its
        // removal) and a CA twice in the file is a key that appears twice. Its subject, issuer, kind and validity are
        // read from the certificate too: the store trusts RawData, and what Get-CasbTrustedRoot shows must describe it.
        for (int i = 0; i < configuration.TrustedRoots.Count; i++)
        {
            TrustedRootEntry root = configuration.TrustedRoots[i];
            string? problem = CheckTrustedRoot(root, out TrustedRootEntry? entry);
            if (problem is not null)
            {
                throw Invalid(path, problem, null);
            }

            configuration.TrustedRoots[i] = entry!;
        }

        foreach (ConfigurationItemKind kind in ConfigurationItems.All)
        {
            string? problem = kind.FindKeyProblem(configuration);
            if (problem is not null)
            {
                throw Invalid(path, problem, null);
            }
        }

        foreach (RevocationListEntry crl in configuration.RevocationLists)
        {
            if (!TryDecode(crl.RawData, out byte[] der) || !string.Equals(Convert.ToHexString(SHA256.HashData(der)), crl.Id, StringComparison.OrdinalIgnoreCase))
            {
                throw Invalid(path, $"the revocation list '{crl.Id}' has data that does not match its id (SHA-256 of the DER CRL).", null);
            }

            // What Get-CasbCertificateRevocationList shows is read from the CRL, as Add-CasbCertificateRevocationList reads it.
            try
            {
                CertificateRevocationList parsed = CertificateRevocationList.Parse(der);
                crl.Issuer = parsed.Issuer.Name;
                crl.ThisUpdate = parsed.ThisUpdate;
                crl.NextUpdate = parsed.NextUpdate;
                crl.CrlNumber = parsed.CrlNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture);
                crl.RevokedCount = parsed.RevokedCertificates.Count;
                crl.BaseCrlNumber = parsed.BaseCrlNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is FormatException or CasbException)
            {
                // Unparseable: it keeps the file's words; the validator never relies on it (an old store may hold one).
            }
        }

        return new ImportFile(path, configuration, hasSettings);
    }

    /// <summary>
    /// Per item, what importing <paramref name="file"/> into <paramref name="current"/> would change, in
    /// <see cref="ConfigurationItems"/> order, then the settings. With <paramref name="replace"/> the items not in
    /// the file are removed and the settings always follow the file.
    /// </summary>
    public static IReadOnlyList<ConfigurationChange> Plan(CasbConfiguration current, ImportFile file, bool replace) =>
        Plan(current, file, replace, newClientSecret: false);

    /// <summary>
    /// <see cref="Plan(CasbConfiguration, ImportFile, bool)"/> for an import given the identity provider's client secret
    /// (<paramref name="newClientSecret"/>): the file's provider is then updated even when nothing else of it differs,
    /// as Apply stores that secret.
    /// </summary>
    public static IReadOnlyList<ConfigurationChange> Plan(CasbConfiguration current, ImportFile file, bool replace, bool newClientSecret)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(file);
        var changes = new List<ConfigurationChange>();
        foreach (ConfigurationItemKind kind in ConfigurationItems.All)
        {
            changes.AddRange(kind.Plan(current, file.Configuration, replace));
        }

        if (newClientSecret && file.Configuration.IdentityProvider is { } provider && !changes.Any(c => c.ItemType == IdentityProviderType))
        {
            changes.Add(new ConfigurationChange(
                IdentityProviderType, provider.Name, current.IdentityProvider is null ? ConfigurationChangeKind.Added : ConfigurationChangeKind.Updated));
        }

        if ((file.HasSettings || replace) && !SameJson(current.Settings, file.Configuration.Settings))
        {
            changes.Add(new ConfigurationChange(SettingsType, "Gateway settings", ConfigurationChangeKind.Updated));
        }

        return changes;
    }

    /// <summary>
    /// Applies the accepted changes of a plan, then checks the result as a whole: the delta CRLs it brings as
    /// <see cref="RevocationLists.CheckImportedDeltas"/> does (CrlDeltaWithoutBase, CrlOlderThanStored), then the validator
    /// (its error id on failure).
    /// </summary>
    public static void Apply(CasbConfiguration configuration, ImportFile file, IEnumerable<ConfigurationChange> accepted) =>
        Apply(configuration, file, accepted, secrets: null, identityProviderClientSecret: null);

    /// <summary>
    /// <see cref="Apply(CasbConfiguration, ImportFile, IEnumerable{ConfigurationChange})"/> with the store's secrets, for a
    /// file with an identity provider (see <see cref="SignIn.IdentityProviderCatalog.Import"/>): IdentityProviderSecretRequired
    /// when neither this store nor <paramref name="identityProviderClientSecret"/> has its secret.
    /// </summary>
    public static void Apply(
        CasbConfiguration configuration, ImportFile file, IEnumerable<ConfigurationChange> accepted, StoreSecrets? secrets, string? identityProviderClientSecret)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(accepted);
        var source = new ImportSource(file.Configuration, secrets, identityProviderClientSecret);
        var heldBefore = configuration.RevocationLists.Select(e => e.Id).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var retiredBefore = configuration.RevocationLists
            .Where(e => e.Retired is { Count: > 0 })
            .ToDictionary(e => e.Id, e => e.Retired!, StringComparer.OrdinalIgnoreCase);
        RevocationLists.DistrustRetired(file.Configuration);
        // An import with -Replace removes the CRLs the file does not hold; one the file replaces with a CRL of its CA and scope still revoked what it revoked.
        var removedCrls = accepted
            .Where(c => c.ItemType == ConfigurationItems.RevocationLists.Type && c.Change == ConfigurationChangeKind.Removed)
            .Select(c => configuration.RevocationLists.FirstOrDefault(e => string.Equals(e.Id, c.Name, StringComparison.OrdinalIgnoreCase)))
            .OfType<RevocationListEntry>()
            .ToList();
        foreach (ConfigurationChange change in accepted)
        {
            if (change.ItemType == SettingsType)
            {
                configuration.Settings = file.Configuration.Settings;
                continue;
            }

            ConfigurationItemKind kind = ConfigurationItems.Find(change.ItemType)
                ?? throw new ArgumentException($"'{change.ItemType}' is not a kind of configuration item.", nameof(accepted));
            kind.Apply(configuration, source, change);
        }

        // A delta CRL is stored only beside its complete CRL, as Add-CasbCertificateRevocationList stores it: the same rule, on the result.
        List<string> importedCrls = accepted
            .Where(c => c.ItemType == ConfigurationItems.RevocationLists.Type && c.Change != ConfigurationChangeKind.Removed)
            .Select(c => c.Name)
            .ToList();
        RevocationLists.KeepImportedUnderTheirIssuers(configuration, importedCrls);
        RevocationLists.CheckImportedDeltas(configuration, importedCrls, file.Path);
        RevocationLists.CheckImportedNextUpdate(configuration, importedCrls, heldBefore, file.Path);
        RevocationLists.CheckImported(configuration, importedCrls, heldBefore, DateTimeOffset.UtcNow, file.Path, removedCrls);
        RevocationLists.KeepRetired(configuration, retiredBefore);
        ConfigurationValidator.ThrowIfInvalid(configuration);
    }

    /// <summary>The kind of item in words, for -WhatIf: "access policy", "gateway settings".</summary>
    public static string Describe(string itemType) =>
        itemType == SettingsType ? "gateway settings" : ConfigurationItems.Find(itemType)?.Display ?? itemType;

    private static CasbException Invalid(string path, string why, Exception? inner) =>
        new(InvalidFileErrorId, CasbErrorKind.InvalidData, $"Cannot import '{path}': {why} Nothing was changed.", path, inner);

    /// <summary>
    /// A trusted root must carry the certificate its thumbprint (SHA-1 or SHA-256) names: the store trusts RawData, never
    /// the label. <paramref name="entry"/>: the entry Add-CasbTrustedRoot would store for the certificate (keyed by its
    /// SHA-1 thumbprint), with the file's AddedAt.
    /// </summary>
    private static string? CheckTrustedRoot(TrustedRootEntry root, out TrustedRootEntry? entry)
    {
        entry = null;
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
            entry = TrustedRootCatalog.CreateEntry(certificate, root.AddedAt);
            return TrustedRootCatalog.IsCertificateAuthority(certificate)
                ? null
                : $"the trusted root '{root.Thumbprint}' ({certificate.Subject}) is not a certificate authority.";
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

    private static bool SameJson<T>(T a, T b) =>
        JsonSerializer.Serialize(a, CasbStore.SerializerOptions) == JsonSerializer.Serialize(b, CasbStore.SerializerOptions);
}
