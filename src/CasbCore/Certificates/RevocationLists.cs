using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Model;

namespace CasbCore.Certificates;

/// <summary>What adding a CRL to the store did.</summary>
public enum RevocationListChange
{
    Added,
    Replaced,
    Unchanged,
}

/// <summary>The store's CRLs: the rules Add-CasbCertificateRevocationList applies inside a store update.</summary>
public static class RevocationLists
{
    public const string WeakSignatureErrorId = "CrlWeakSignature";

    /// <summary>The error id of a delta CRL whose complete (base) CRL the store does not hold.</summary>
    public const string DeltaWithoutBaseErrorId = "CrlDeltaWithoutBase";

    /// <summary>The error id of a CRL (complete or delta) without nextUpdate, which RFC 5280 5.1.2.5 makes mandatory.</summary>
    public const string WithoutNextUpdateErrorId = "CrlWithoutNextUpdate";

    /// <summary>
    /// Adds <paramref name="crl"/> to <paramref name="configuration"/>: its issuer must be one of the store's trusted
    /// roots or intermediates (by name) and its signature must verify with that CA's key. A CRL past its nextUpdate is
    /// refused unless <paramref name="force"/>; a newer CRL of the same issuer and scope (<see cref="CertificateRevocationList.Scope"/>:
    /// partitions are kept side by side) replaces the stored one, an older one is refused unless <paramref name="force"/>. A CRL signed with an algorithm the validator does not accept (SHA-1 unless
    /// the store allows weak certificate cryptography; MD5 never) is refused, -Force or not: it could never vouch for a
    /// certificate. Throws <see cref="CasbException"/>: CrlIssuerNotTrusted, CrlSignatureInvalid, CrlWeakSignature,
    /// CrlExpired, CrlOlderThanStored, CrlDeltaWithoutBase. (Parsing refuses CrlUnreadable and CrlMalformed before this.)
    /// A delta CRL (RFC 5280 5.2.4) is added only beside a stored complete CRL of the same issuer and scope whose CRL
    /// number is at least the delta's BaseCRLNumber (-Force or not: alone it says nothing about unlisted certificates); a
    /// newer delta replaces the stored delta of that issuer and scope, an older one, or one not newer than its base, is
    /// refused unless <paramref name="force"/>. A complete CRL replaces only complete CRLs, and then drops the deltas it
    /// supersedes (CRL number not above its own) or no longer anchors.
    /// </summary>
    public static (RevocationListEntry Entry, RevocationListChange Change) Add(
        CasbConfiguration configuration,
        CertificateRevocationList crl,
        bool force,
        DateTimeOffset now,
        string? source = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(crl);
        string what = source is null ? $"The CRL of '{crl.Issuer.Name}'" : $"The CRL '{source}' (issuer '{crl.Issuer.Name}')";

        RevocationListEntry? existing = configuration.RevocationLists.FirstOrDefault(e => e.Id == crl.Id);
        (X509Certificate2 issuer, List<RevocationListEntry> sameIssuer) = Check(configuration, crl, force, now, what, AddWords, source, existing?.Id, heldIsUnchanged: true);
        if (existing is not null)
        {
            return (existing, RevocationListChange.Unchanged);
        }

        configuration.RevocationLists.RemoveAll(e => sameIssuer.Contains(e));
        var entry = new RevocationListEntry
        {
            Id = crl.Id,
            Issuer = crl.Issuer.Name,
            IssuerThumbprint = issuer.Thumbprint,
            ThisUpdate = crl.ThisUpdate,
            NextUpdate = crl.NextUpdate,
            CrlNumber = crl.CrlNumber?.ToString(CultureInfo.InvariantCulture),
            BaseCrlNumber = crl.BaseCrlNumber?.ToString(CultureInfo.InvariantCulture),
            RevokedCount = crl.RevokedCertificates.Count,
            AddedAt = now,
            Source = source,
            RawData = Convert.ToBase64String(crl.RawData),
        };
        configuration.RevocationLists.Add(entry);
        List<RevocationListEntry> replaced = [.. sameIssuer];
        if (!crl.IsDelta)
        {
            replaced.AddRange(RemoveStaleDeltas(configuration, issuer.Thumbprint, crl.Scope));
        }

        entry.Retired = Retire(crl, replaced, entry.Retired);
        return (entry, sameIssuer.Count > 0 ? RevocationListChange.Replaced : RevocationListChange.Added);
    }

    /// <summary>
    /// Add's checks of <paramref name="crl"/> against <paramref name="configuration"/>, for every entrance (Add, Import):
    /// its issuer, signature and algorithm (whose store entry it is stored under), then, for a CRL the store does not hold yet,
    /// nextUpdate, currency, the delta rule and no newer CRL of its issuer, scope and kind (<paramref name="held"/>: its own
    /// entry, when the configuration has it, only trusted again when <paramref name="heldIsUnchanged"/>). Returns the issuer and the stored CRLs of that issuer, scope and kind it replaces.
    /// </summary>
    private static (X509Certificate2 Issuer, List<RevocationListEntry> SameIssuer) Check(
        CasbConfiguration configuration, CertificateRevocationList crl, bool force, DateTimeOffset now, string what, DeltaRuleWords words, string? source, string? held, bool heldIsUnchanged = false)
    {
        X509Certificate2 issuer = FindIssuer(configuration, crl, what, source);
        if (crl.SignatureProblem(configuration.Settings.AllowWeakCertificateCryptography) is { } weak)
        {
            throw new CasbException(WeakSignatureErrorId, CasbErrorKind.SecurityError, $"{what} was not added: {weak}.", source);
        }

        // Add leaves a CRL the store holds as it is; an import checks the one it brought as a new one.
        if (held is not null && heldIsUnchanged)
        {
            return (issuer, []);
        }

        // As a CRL past its nextUpdate: one without any says nothing about how long it is current, so it takes -Force.
        if (crl.NextUpdate is null && !force)
        {
            throw new CasbException(
                WithoutNextUpdateErrorId, CasbErrorKind.InvalidData,
                $"{what} has no nextUpdate, which RFC 5280 requires of a CA's CRLs: nothing says when it is superseded. Stored, it would count as current only for the CRL cache period (CrlCacheMinutes) after its thisUpdate {crl.ThisUpdate:u}. Get a CRL with a nextUpdate from the CA, or use -Force to store it anyway.",
                source);
        }

        TimeSpan cachePeriod = CertificateRevocationList.CachePeriod(configuration.Settings.CrlCacheMinutes);
        if (!crl.IsCurrentAt(now, cachePeriod) && !force)
        {
            throw new CasbException(
                "CrlExpired", CasbErrorKind.InvalidData,
                $"{what} is out of date: its {crl.DescribeCurrentUntil(cachePeriod)} has passed. Get a current CRL from the CA, or use -Force to store it anyway.",
                source);
        }

        // Only a CRL of the same scope and kind is superseded: the partitions of one issuer (issuing distribution points)
        // are kept side by side, since each is the only list of what it revoked, and a delta sits beside its base.
        List<(RevocationListEntry Entry, CertificateRevocationList? Crl)> ofIssuerAndScope =
            OfIssuerAndScope(configuration, issuer.Thumbprint, crl.Scope).Where(p => !string.Equals(p.Entry.Id, held, StringComparison.OrdinalIgnoreCase)).ToList();
        List<RevocationListEntry> sameIssuer = ofIssuerAndScope.Where(p => (p.Crl?.IsDelta ?? false) == crl.IsDelta).Select(p => p.Entry).ToList();
        if (crl.IsDelta)
        {
            CheckBase(crl, ofIssuerAndScope.Select(p => p.Crl), force, what, words, source);
        }

        foreach (RevocationListEntry stored in sameIssuer)
        {
            if (!IsNewer(crl, stored) && !force)
            {
                throw new CasbException(
                    "CrlOlderThanStored", CasbErrorKind.InvalidData,
                    $"{what} (CRL number {Describe(crl.CrlNumber?.ToString())}, thisUpdate {crl.ThisUpdate:u}) is not newer than the stored one (CRL number {Describe(stored.CrlNumber)}, thisUpdate {stored.ThisUpdate:u}). Use -Force to replace it anyway.",
                    source);
            }
        }

        return (issuer, sameIssuer);
    }

    /// <summary>
    /// Import-CasbConfiguration's side of <see cref="Add"/>: each CRL among <paramref name="importedIds"/> that the store did
    /// not hold before (<paramref name="heldBefore"/>) passes Add's checks without -Force on the configuration the import
    /// leaves, with Add's error ids, and replaces the CRLs of its CA, scope and kind it supersedes (and, a complete CRL, the
    /// delta CRLs it no longer anchors) as Add does. After an import with -Replace took <paramref name="removed"/> out of the store, an imported CRL of the same CA and scope
    /// takes their place as it would take a stored one's, and carries what they revoked (a complete CRL, a removed delta's too).
    /// </summary>
    public static void CheckImported(
        CasbConfiguration configuration, IEnumerable<string> importedIds, IReadOnlySet<string> heldBefore, DateTimeOffset now, string path, IReadOnlyCollection<RevocationListEntry> removed)
    {
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(importedIds);
        ArgumentNullException.ThrowIfNull(heldBefore);
        var imported = new HashSet<string>(importedIds, StringComparer.OrdinalIgnoreCase);
        foreach (RevocationListEntry entry in configuration.RevocationLists.Where(e => imported.Contains(e.Id) && !heldBefore.Contains(e.Id)).ToList())
        {
            CertificateRevocationList crl = CertificateRevocationList.Parse(Convert.FromBase64String(entry.RawData));
            string what = $"The {(crl.IsDelta ? "delta CRL" : "CRL")} '{entry.Id}' in '{path}' (issuer '{crl.Issuer.Name}')";
            // Kept under its issuer by KeepImportedUnderTheirIssuers; what it supersedes goes, as Add replaces it (else an older complete CRL could vouch beside it).
            (X509Certificate2 issuer, List<RevocationListEntry> superseded) = Check(configuration, crl, force: false, now, what, ImportWords, entry.Id, entry.Id);
            configuration.RevocationLists.RemoveAll(e => superseded.Contains(e));
            if (!crl.IsDelta)
            {
                superseded.AddRange(RemoveStaleDeltas(configuration, issuer.Thumbprint, crl.Scope));
            }

            superseded.AddRange(removed.Where(r =>
                string.Equals(r.IssuerThumbprint, issuer.Thumbprint, StringComparison.OrdinalIgnoreCase)
                && TryParse(r) is { } old && old.Scope == crl.Scope && (old.IsDelta || !crl.IsDelta))); // a delta never takes a complete CRL's place
            entry.Retired = Retire(crl, superseded, entry.Retired);
        }
    }

    /// <summary>
    /// Before an import's CRL rules look for a CRL's base or its newer peers by CA: each CRL among <paramref name="importedIds"/>
    /// that a trusted CA's key verifies goes under that CA, not the thumbprint the file claims. Checked one by one, a delta
    /// checked before its complete CRL looked for it under the file's thumbprint and was CrlDeltaWithoutBase. One that no CA
    /// verifies keeps the file's, for <see cref="CheckImported"/> to refuse.
    /// </summary>
    public static void KeepImportedUnderTheirIssuers(CasbConfiguration configuration, IEnumerable<string> importedIds)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(importedIds);
        var imported = new HashSet<string>(importedIds, StringComparer.OrdinalIgnoreCase);
        foreach (RevocationListEntry entry in configuration.RevocationLists.Where(e => imported.Contains(e.Id)))
        {
            if (TryParse(entry) is { } crl && IssuerCandidates(configuration, crl).FirstOrDefault(crl.IsSignedBy) is { } signer)
            {
                entry.IssuerThumbprint = signer.Thumbprint;
            }
        }
    }

    /// <summary>
    /// Import-CasbConfiguration's side of <see cref="Add"/>'s delta rule, checked on the configuration an import leaves (so
    /// the order of the file does not matter): each delta CRL among <paramref name="importedIds"/> must sit beside a complete
    /// CRL of the same CA and scope, from the store or the file, numbered at least its BaseCRLNumber (else
    /// CrlDeltaWithoutBase, ObjectNotFound) and below its own number (else CrlOlderThanStored: that complete CRL already
    /// includes what it lists). Of two imported deltas of one CA and scope the older is CrlOlderThanStored, since the store
    /// keeps one: as <see cref="Add"/> without -Force, which an import does not have.
    /// </summary>
    public static void CheckImportedDeltas(CasbConfiguration configuration, IEnumerable<string> importedIds, string path)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(importedIds);
        var imported = new HashSet<string>(importedIds, StringComparer.OrdinalIgnoreCase);
        foreach (RevocationListEntry entry in configuration.RevocationLists.Where(e => imported.Contains(e.Id)).ToList())
        {
            if (TryParse(entry) is not { IsDelta: true } delta)
            {
                continue;
            }

            string what = $"The delta CRL '{entry.Id}' in '{path}' (issuer '{delta.Issuer.Name}')";
            List<(RevocationListEntry Entry, CertificateRevocationList? Crl)> ofIssuerAndScope = OfIssuerAndScope(configuration, entry.IssuerThumbprint, delta.Scope);
            CheckBase(delta, ofIssuerAndScope.Select(p => p.Crl), force: false, what, ImportWords, entry.Id);
            if (ofIssuerAndScope.FirstOrDefault(p => imported.Contains(p.Entry.Id) && p.Crl is { IsDelta: true } other && other.CrlNumber > delta.CrlNumber) is { Crl: { } newer } n)
            {
                throw new CasbException(
                    "CrlOlderThanStored", CasbErrorKind.InvalidData,
                    $"{what} (CRL number {delta.CrlNumber}) is older than the delta CRL '{n.Entry.Id}' (CRL number {newer.CrlNumber}) of the same CA and scope in the file; a store keeps one delta CRL per CA and scope. Take the older one out of the file. Nothing was changed.",
                    entry.Id);
            }
        }
    }

    /// <summary>
    /// Import-CasbConfiguration's side of <see cref="Add"/>'s nextUpdate rule: a CRL (complete or delta) among
    /// <paramref name="importedIds"/> that has no nextUpdate and that the store did not hold before the import
    /// (<paramref name="heldBefore"/>: a store's own export imports back into it) is CrlWithoutNextUpdate. An import has no
    /// -Force: Add-CasbCertificateRevocationList -Force is the one way such a CRL gets in.
    /// </summary>
    public static void CheckImportedNextUpdate(CasbConfiguration configuration, IEnumerable<string> importedIds, IReadOnlySet<string> heldBefore, string path)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(importedIds);
        ArgumentNullException.ThrowIfNull(heldBefore);
        var imported = new HashSet<string>(importedIds, StringComparer.OrdinalIgnoreCase);
        foreach (RevocationListEntry entry in configuration.RevocationLists.Where(e => imported.Contains(e.Id) && !heldBefore.Contains(e.Id)))
        {
            if (TryParse(entry) is { NextUpdate: null } crl)
            {
                throw new CasbException(
                    WithoutNextUpdateErrorId, CasbErrorKind.InvalidData,
                    $"The {(crl.IsDelta ? "delta CRL" : "CRL")} '{entry.Id}' in '{path}' (issuer '{crl.Issuer.Name}') has no nextUpdate, which RFC 5280 requires of a CA's CRLs. Take it out of the file, and add it with Add-CasbCertificateRevocationList -Force if it must be stored. Nothing was changed.",
                    entry.Id);
            }
        }
    }

    /// <summary>
    /// The delta rule: <paramref name="delta"/> completes a complete CRL among <paramref name="ofIssuerAndScope"/> (same CA and
    /// scope) numbered at least its BaseCRLNumber, else CrlDeltaWithoutBase, -Force or not (alone a delta says nothing about
    /// the certificates it does not list); one that no such complete CRL is older than is CrlOlderThanStored unless <paramref name="force"/>.
    /// </summary>
    private static void CheckBase(
        CertificateRevocationList delta, IEnumerable<CertificateRevocationList?> ofIssuerAndScope, bool force, string what, DeltaRuleWords words, string? source)
    {
        System.Numerics.BigInteger baseNumber = delta.BaseCrlNumber!.Value;
        List<CertificateRevocationList> bases = ofIssuerAndScope
            .Where(c => c is { IsDelta: false, CrlNumber: { } n } && n >= baseNumber)
            .Select(c => c!)
            .ToList();
        if (bases.Count == 0)
        {
            throw new CasbException(
                DeltaWithoutBaseErrorId, CasbErrorKind.ObjectNotFound,
                $"{what} is a delta CRL (CRL number {delta.CrlNumber}, BaseCRLNumber {baseNumber}), and {words.Holder} complete CRL of that CA and scope numbered {baseNumber} or later for it to complete. {words.WithoutBase}",
                source);
        }

        if (!force && bases.All(b => b.CrlNumber >= delta.CrlNumber))
        {
            throw new CasbException(
                "CrlOlderThanStored", CasbErrorKind.InvalidData,
                $"{what} is a delta CRL (CRL number {delta.CrlNumber}) that is not newer than the {words.Complete} (CRL number {bases.Max(b => b.CrlNumber)}), which already includes what it lists. {words.NotNewer}",
                source);
        }
    }

    // How the delta rule's errors read for Add-CasbCertificateRevocationList and for Import-CasbConfiguration.
    private sealed record DeltaRuleWords(string Holder, string Complete, string WithoutBase, string NotNewer);

    private static readonly DeltaRuleWords AddWords = new(
        "the store holds no", "stored complete CRL", "Add the complete (base) CRL first.", "Use -Force to store it anyway.");

    private static readonly DeltaRuleWords ImportWords = new(
        "neither the store nor the file holds any", "complete CRL", "Put its complete (base) CRL in the file, or add it to the store first. Nothing was changed.",
        "Take it out of the file. Nothing was changed.");

    private static List<(RevocationListEntry Entry, CertificateRevocationList? Crl)> OfIssuerAndScope(
        CasbConfiguration configuration, string issuerThumbprint, string scope) =>
        configuration.RevocationLists
            .Where(e => string.Equals(e.IssuerThumbprint, issuerThumbprint, StringComparison.OrdinalIgnoreCase))
            .Select(e => (e, TryParse(e)))
            .Where(p => (p.Item2?.Scope ?? "") == scope)
            .ToList();

    /// <summary>Until when a stored CRL counts as current for the validator (<see cref="CertificateRevocationList.CurrentUntil(TimeSpan)"/>).</summary>
    public static DateTimeOffset CurrentUntil(RevocationListEntry entry, GatewaySettings settings)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(settings);
        return CertificateRevocationList.CurrentUntil(entry.ThisUpdate, entry.NextUpdate, CertificateRevocationList.CachePeriod(settings.CrlCacheMinutes));
    }

    /// <summary>The stored CRL with this id (SHA-256 hex, any case), or null.</summary>
    public static RevocationListEntry? Find(CasbConfiguration configuration, string id)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.RevocationLists.FirstOrDefault(e => string.Equals(e.Id, id, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Removes the stored CRL with this id; null when there is none (nothing changes).</summary>
    public static RevocationListEntry? Remove(CasbConfiguration configuration, string id) => Remove(configuration, id, out _);

    /// <summary>
    /// Removes the stored CRL with this id and, when it is a complete CRL, the delta CRLs that no other stored complete
    /// CRL anchors (<paramref name="deltasRemoved"/>); null when there is none (nothing changes).
    /// </summary>
    public static RevocationListEntry? Remove(CasbConfiguration configuration, string id, out IReadOnlyList<RevocationListEntry> deltasRemoved)
    {
        deltasRemoved = Array.Empty<RevocationListEntry>();
        RevocationListEntry? entry = Find(configuration, id);
        if (entry is not null)
        {
            configuration.RevocationLists.Remove(entry);
            if (TryParse(entry) is { IsDelta: false } removed)
            {
                deltasRemoved = RemoveStaleDeltas(configuration, entry.IssuerThumbprint, removed.Scope);
            }
        }

        return entry;
    }

    /// <summary>
    /// Removes the delta CRLs of an issuer and scope that no stored complete CRL anchors (CRL number at least the delta's
    /// BaseCRLNumber) or that every such complete CRL supersedes (CRL number at least the delta's own).
    /// </summary>
    private static List<RevocationListEntry> RemoveStaleDeltas(CasbConfiguration configuration, string issuerThumbprint, string scope)
    {
        var ofIssuer = configuration.RevocationLists
            .Where(e => string.Equals(e.IssuerThumbprint, issuerThumbprint, StringComparison.OrdinalIgnoreCase))
            .Select(e => (Entry: e, Crl: TryParse(e)))
            .Where(p => p.Crl is not null && p.Crl.Scope == scope)
            .ToList();
        var bases = ofIssuer.Where(p => !p.Crl!.IsDelta && p.Crl.CrlNumber is not null).Select(p => p.Crl!.CrlNumber!.Value).ToList();
        var stale = ofIssuer
            .Where(p => p.Crl!.IsDelta && !bases.Any(b => b >= p.Crl.BaseCrlNumber!.Value && b < p.Crl.CrlNumber!.Value))
            .Select(p => p.Entry)
            .ToList();
        configuration.RevocationLists.RemoveAll(stale.Contains);
        return stale;
    }

    /// <summary>How many revocations of replaced CRLs a stored CRL carries at most; past it, those revoked longest ago go first.</summary>
    public const int MaxRetired = 100_000;

    /// <summary>
    /// What <paramref name="crl"/>, taking the place of <paramref name="replaced"/>, keeps of them (<see cref="RevocationListEntry.Retired"/>):
    /// every revocation other than a hold that they listed or carried, and <paramref name="kept"/> (what it carried already),
    /// that it does not list itself for good. Null when nothing is left.
    /// </summary>
    private static List<RetiredRevocationEntry>? Retire(CertificateRevocationList crl, IEnumerable<RevocationListEntry> replaced, List<RetiredRevocationEntry>? kept)
    {
        var retired = new Dictionary<string, RetiredRevocationEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (RetiredRevocationEntry carried in kept ?? [])
        {
            KeepOne(retired, carried);
        }

        foreach (RevocationListEntry old in replaced)
        {
            foreach (RetiredRevocationEntry carried in old.Retired ?? [])
            {
                KeepOne(retired, carried);
            }

            if (TryParse(old) is { } oldCrl)
            {
                foreach (RevokedCertificate revoked in oldCrl.RevokedCertificates.Where(r => r.IsPermanent))
                {
                    KeepOne(retired, new RetiredRevocationEntry
                    {
                        Serial = revoked.SerialNumber,
                        RevocationDate = revoked.RevocationDate,
                        Reason = revoked.Reason?.ToString(),
                        CrlNumber = oldCrl.CrlNumber?.ToString(CultureInfo.InvariantCulture),
                        Verified = true,
                    });
                }
            }
        }

        // What a verified CRL listed goes last, whatever a file dated its own entries: a file can add revocations, never push one out.
        List<RetiredRevocationEntry> left = retired.Values
            .Where(r => !(TryHex(r.Serial) is { } serial && crl.FindRevoked(serial) is { IsPermanent: true }))
            .OrderByDescending(r => r.Verified)
            .ThenByDescending(r => r.RevocationDate)
            .Take(MaxRetired)
            .ToList();
        return left.Count == 0 ? null : left;
    }

    /// <summary>One revocation per serial; a verified one takes the place of an unverified one of the serial.</summary>
    private static void KeepOne(Dictionary<string, RetiredRevocationEntry> retired, RetiredRevocationEntry entry)
    {
        if (!retired.TryAdd(entry.Serial, entry) && entry.Verified && !retired[entry.Serial].Verified)
        {
            retired[entry.Serial] = entry;
        }
    }

    /// <summary>
    /// Before an import applies <paramref name="file"/>: what its CRLs carry was not read from a CRL by this store, whatever
    /// the file says (<see cref="RetiredRevocationEntry.Verified"/>).
    /// </summary>
    public static void DistrustRetired(CasbConfiguration file)
    {
        ArgumentNullException.ThrowIfNull(file);
        foreach (RetiredRevocationEntry retired in file.RevocationLists.SelectMany(e => e.Retired ?? []))
        {
            retired.Verified = false;
        }
    }

    /// <summary>
    /// <paramref name="entry"/>'s <see cref="RevocationListEntry.Retired"/> by normalized serial, for the validator; null when
    /// it carries none. An entry whose serial is not hex (a hand-edited store) is left out: it could name no certificate.
    /// </summary>
    public static IReadOnlyDictionary<string, RevokedCertificate>? RetiredBySerial(RevocationListEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Retired is not { Count: > 0 } retired)
        {
            return null;
        }

        var bySerial = new Dictionary<string, RevokedCertificate>(StringComparer.Ordinal);
        foreach (RetiredRevocationEntry r in retired)
        {
            if (TryHex(r.Serial) is { } serial)
            {
                string normalized = CertificateRevocationList.NormalizeSerial(serial);
                X509RevocationReason? reason = Enum.TryParse(r.Reason, out X509RevocationReason parsed) ? parsed : null;
                bySerial.TryAdd(normalized, new RevokedCertificate(normalized, r.RevocationDate, reason));
            }
        }

        return bySerial;
    }

    /// <summary>
    /// After an import: a CRL the store keeps under the same id keeps what it carried before (<paramref name="retiredBefore"/>,
    /// by id) beside what the file's copy carries, so that importing an older export of the same CRL forgets no revocation.
    /// </summary>
    public static void KeepRetired(CasbConfiguration configuration, IReadOnlyDictionary<string, List<RetiredRevocationEntry>> retiredBefore)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(retiredBefore);
        foreach (RevocationListEntry entry in configuration.RevocationLists)
        {
            if (retiredBefore.TryGetValue(entry.Id, out List<RetiredRevocationEntry>? before) && TryParse(entry) is { } crl)
            {
                entry.Retired = Retire(crl, [], [.. entry.Retired ?? [], .. before]);
            }
        }
    }

    private static byte[]? TryHex(string? hex)
    {
        if (string.IsNullOrEmpty(hex))
        {
            return null;
        }

        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The trusted root or intermediate that signed <paramref name="crl"/>.</summary>
    public static X509Certificate2 FindIssuer(CasbConfiguration configuration, CertificateRevocationList crl, string what, string? source)
    {
        List<X509Certificate2> candidates = IssuerCandidates(configuration, crl);
        if (candidates.Count == 0)
        {
            throw new CasbException(
                "CrlIssuerNotTrusted", CasbErrorKind.SecurityError,
                $"{what} is issued by '{crl.Issuer.Name}', which is not a trusted root or intermediate in the store. Add the CA with Add-CasbTrustedRoot first.",
                source);
        }

        X509Certificate2? signer = candidates.FirstOrDefault(crl.IsSignedBy);
        return signer ?? throw new CasbException(
            "CrlSignatureInvalid", CasbErrorKind.SecurityError,
            $"{what} names '{crl.Issuer.Name}' as its issuer, but its signature does not verify with that CA's key (or the CA may not sign CRLs). It was not added.",
            source);
    }

    /// <summary>
    /// After a trusted CA left <paramref name="configuration"/>: the stored CRLs it issued that no remaining CA verifies
    /// are removed; a CRL that another certificate of the same CA verifies (renewed with its key, or cross-signed) stays,
    /// under that certificate's thumbprint, since the validator still finds it by name and signature.
    /// </summary>
    public static void RemoveOrphansOf(CasbConfiguration configuration, string issuerThumbprint)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (RevocationListEntry entry in configuration.RevocationLists
                     .Where(e => string.Equals(e.IssuerThumbprint, issuerThumbprint, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            X509Certificate2? signer = null;
            try
            {
                CertificateRevocationList crl = CertificateRevocationList.Parse(Convert.FromBase64String(entry.RawData));
                signer = IssuerCandidates(configuration, crl).FirstOrDefault(crl.IsSignedBy);
            }
            catch (Exception ex) when (ex is FormatException or CasbException)
            {
                // Unreadable: nothing can verify it, so it goes with its CA.
            }

            if (signer is null)
            {
                configuration.RevocationLists.Remove(entry);
            }
            else
            {
                entry.IssuerThumbprint = signer.Thumbprint;
            }
        }
    }

    private static List<X509Certificate2> IssuerCandidates(CasbConfiguration configuration, CertificateRevocationList crl)
    {
        var candidates = new List<X509Certificate2>();
        foreach (TrustedRootEntry entry in configuration.TrustedRoots)
        {
            try
            {
                X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(entry.RawData));
                if (crl.IsIssuedByName(certificate))
                {
                    candidates.Add(certificate);
                }
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException)
            {
                // An unreadable store entry cannot be an issuer.
            }
        }

        return candidates;
    }

    // A stored CRL that cannot be read (null) is treated as a complete one of the whole issuer (the one a new CRL replaces, as before).
    private static CertificateRevocationList? TryParse(RevocationListEntry stored)
    {
        try
        {
            return CertificateRevocationList.Parse(Convert.FromBase64String(stored.RawData));
        }
        catch (Exception ex) when (ex is FormatException or CasbException)
        {
            return null;
        }
    }

    private static bool IsNewer(CertificateRevocationList crl, RevocationListEntry stored)
    {
        if (crl.CrlNumber is { } number
            && System.Numerics.BigInteger.TryParse(stored.CrlNumber, NumberStyles.Integer, CultureInfo.InvariantCulture, out var storedNumber)
            && number != storedNumber)
        {
            return number > storedNumber;
        }

        return crl.ThisUpdate > stored.ThisUpdate;
    }

    private static string Describe(string? crlNumber) => crlNumber ?? "none";
}
