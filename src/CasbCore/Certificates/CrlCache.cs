using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;

namespace CasbCore.Certificates;

/// <summary>
/// The outcome of looking up a distribution point: a CRL verified with the issuer's key (possibly past its
/// nextUpdate: it still proves that the certificates it lists are revoked) and/or why there is no current one.
/// </summary>
public sealed record CrlLookup(CertificateRevocationList? Crl, string? Problem, bool Fetched);

/// <summary>
/// CRLs fetched from distribution points, in memory, keyed by URL and issuer certificate and shared by the validators of
/// successive configuration revisions (<see cref="Shared"/>). Per issuer: two trusted CAs with one name and different keys
/// may name one distribution point, whose CRL verifies under one key only; the other CA's lookup (a failure) must not
/// replace the CRL the first relies on. An entry is reused while it is younger than the store's
/// CrlCacheMinutes and before its nextUpdate (one without nextUpdate: before CrlCacheMinutes after its thisUpdate, see
/// <see cref="CertificateRevocationList.CurrentUntil(TimeSpan)"/>). Past its cache time but still before its nextUpdate, the copy keeps
/// serving while a background refresh fetches a new one, so only the first fetch of a distribution point ever
/// makes a request wait on the network. A failed fetch is remembered briefly so that a dead distribution point
/// does not cost a timeout on every request. A verified CRL is never dropped for nothing: a failed, unverifiable,
/// malformed or older (rolled-back) download keeps the CRL already held, even one past its nextUpdate, because
/// revocation is permanent and a stale CRL still lists what it revoked. And a CRL that a download replaces leaves its
/// revocations behind (<see cref="FindRetired"/>): the newer CRL may not list them all (a delta of a later base lists only
/// what changed since that base, which the complete CRL held from the distribution point may not include yet). One fetch per
/// URL and issuer at a time.
/// </summary>
public sealed class CrlCache
{
    /// <summary>How long a failed fetch (or a CRL that did not verify) is remembered before trying again.</summary>
    public static readonly TimeSpan FailureTtl = TimeSpan.FromSeconds(30);

    private const int MaxEntries = 1024;

    /// <summary>How many revocations of replaced CRLs are remembered per CA; past it, those revoked longest ago go first.</summary>
    public const int MaxRetiredPerIssuer = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _fetchLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _refreshing = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ImmutableDictionary<string, RetiredRevocation>> _retired = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _retireLock = new();
    private readonly TimeProvider _time;
    private readonly Action<Action> _runInBackground;
    private int _fetchCount;
    private long _crlChanges;

    /// <param name="source">Where CRLs are fetched from.</param>
    /// <param name="timeProvider">The clock (tests move it).</param>
    /// <param name="runInBackground">Runs a refresh off the request path; default the thread pool (tests run it inline).</param>
    public CrlCache(ICrlSource source, TimeProvider? timeProvider = null, Action<Action>? runInBackground = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source;
        _time = timeProvider ?? TimeProvider.System;
        _runInBackground = runInBackground ?? (work => ThreadPool.UnsafeQueueUserWorkItem(_ => work(), null));
    }

    /// <summary>The process-wide cache over HTTP, used by validators that are not given one.</summary>
    public static CrlCache Shared { get; } = new(new HttpCrlSource());

    public ICrlSource Source { get; }

    /// <summary>How many fetches this cache has made (for tests and metrics).</summary>
    public int FetchCount => Volatile.Read(ref _fetchCount);

    /// <summary>Grows whenever a CRL is kept that may list what no CRL held before did; a result found before it changed is not reused.</summary>
    public long CrlChanges => Volatile.Read(ref _crlChanges); // read on every request: a plain load, no locked instruction

    public void Clear()
    {
        _entries.Clear();
        _retired.Clear();
    }

    /// <summary>
    /// A revocation (other than a hold, which a later CRL may lift) that a CRL of <paramref name="issuer"/> held here listed for
    /// <paramref name="certificate"/> before a download replaced it with one that does not, else null. Revocation is permanent:
    /// the CRL that replaced it may list less (a delta of a later base, or a CA that dropped the entry), and forgetting the
    /// entry would make the certificate's status unknown, which Optional mode lets through.
    /// </summary>
    public RetiredRevocation? FindRetired(X509Certificate2 certificate, X509Certificate2 issuer)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        return FindRetired(certificate, IssuerKey(issuer));
    }

    private RetiredRevocation? FindRetired(X509Certificate2 certificate, string ca) =>
        _retired.TryGetValue(ca, out ImmutableDictionary<string, RetiredRevocation>? ofIssuer)
            && ofIssuer.TryGetValue(CertificateRevocationList.NormalizeSerial(certificate.SerialNumberBytes.Span), out RetiredRevocation? retired)
            ? retired
            : null;

    /// <summary>
    /// A revocation (other than a hold) of <paramref name="certificate"/> that the cache knows for <paramref name="issuer"/>'s CA (name
    /// and key), whether or not the check at hand read the CRL that lists it: any CRL held here from any URL (a delta fetched
    /// from a Freshest CRL URL that does not complete the complete CRL the distribution point now serves, or a CRL held under
    /// another certificate of the CA), else what a replaced CRL listed (<see cref="FindRetired"/>). Else null.
    /// </summary>
    public RetiredRevocation? FindKnown(X509Certificate2 certificate, X509Certificate2 issuer)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        string ca = IssuerKey(issuer);
        foreach (Entry entry in _entries.Values)
        {
            if (entry.Crl is { } crl && entry.Ca == ca && crl.FindRevoked(certificate) is { IsPermanent: true } revoked)
            {
                return new RetiredRevocation(revoked, $"{Describe(entry.Location, crl)} held by the CRL cache");
            }
        }

        return FindRetired(certificate, ca);
    }

    private static string Describe(Uri? location, CertificateRevocationList crl) =>
        $"the {(crl.IsDelta ? "delta CRL" : "CRL")} at {location} (CRL number {crl.CrlNumber?.ToString() ?? "none"}, thisUpdate {crl.ThisUpdate:u})";

    /// <summary>Remembers what <paramref name="held"/> revoked for good that <paramref name="replacement"/>, taking its place, does not list.</summary>
    private void Retire(X509Certificate2 issuer, Uri location, CertificateRevocationList held, CertificateRevocationList replacement)
    {
        if (held.Id == replacement.Id)
        {
            return;
        }

        List<RevokedCertificate> dropped = held.RevokedCertificates
            .Where(r => r.IsPermanent && replacement.FindRevoked(Convert.FromHexString(r.SerialNumber)) is not { IsPermanent: true })
            .ToList();
        Remember(IssuerKey(issuer), dropped, $"{Describe(location, held)} held before a newer download that does not list it replaced it");
    }

    /// <summary>Keeps <paramref name="dropped"/> among the CA's retired revocations (<see cref="FindRetired"/>).</summary>
    private void Remember(string issuerKey, IReadOnlyCollection<RevokedCertificate> dropped, string source)
    {
        if (dropped.Count == 0)
        {
            return;
        }

        lock (_retireLock)
        {
            ImmutableDictionary<string, RetiredRevocation> ofIssuer = _retired.GetValueOrDefault(issuerKey) ?? ImmutableDictionary.Create<string, RetiredRevocation>(StringComparer.Ordinal);
            ImmutableDictionary<string, RetiredRevocation>.Builder builder = ofIssuer.ToBuilder();
            foreach (RevokedCertificate revoked in dropped)
            {
                builder.TryAdd(revoked.SerialNumber, new RetiredRevocation(revoked, source));
            }

            if (builder.Count > MaxRetiredPerIssuer)
            {
                foreach (string serial in builder.Values.OrderBy(r => r.Revoked.RevocationDate).Take(builder.Count - MaxRetiredPerIssuer).Select(r => r.Revoked.SerialNumber).ToList())
                {
                    builder.Remove(serial);
                }
            }

            _retired[issuerKey] = builder.ToImmutable();
        }
    }

    /// <summary>
    /// The CA as a serial number belongs to it: its name and key, not one certificate of it. A CA renewed with the same key
    /// (or cross-signed) issues one serial space, and the chain may end at either certificate from one request to the next.
    /// </summary>
    private static string IssuerKey(X509Certificate2 issuer) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData([.. issuer.SubjectName.RawData, .. issuer.PublicKey.ExportSubjectPublicKeyInfo()]));


    /// <summary>
    /// Returns the CRL published at <paramref name="location"/> for <paramref name="issuer"/>, fetching it when the
    /// cache has no fresh copy. The CRL's signature is verified with the issuer's key before it is used or kept, and a
    /// download replaces a CRL held from before only as Add-CasbCertificateRevocationList would replace a stored one
    /// (<see cref="ReplacementProblem"/>; <paramref name="allowWeak"/>: the store's AllowWeakCertificateCryptography).
    /// </summary>
    public CrlLookup Get(Uri location, X509Certificate2 issuer, TimeSpan maxAge, TimeSpan timeout, bool allowWeak = false)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(issuer);
        string key = Key(location, issuer);

        if (TryFresh(key, out CrlLookup? cached))
        {
            return cached;
        }

        if (TryStillCurrent(key, maxAge, out cached))
        {
            RefreshInBackground(location, issuer, maxAge, timeout, allowWeak);
            return cached;
        }

        lock (_fetchLocks.GetOrAdd(key, _ => new object()))
        {
            if (TryFresh(key, out cached))
            {
                return cached;
            }

            Entry entry = Fetch(location, issuer, timeout, _time.GetUtcNow(), maxAge, allowWeak, Held(key));
            Keep(key, entry, location, issuer);
            return new CrlLookup(entry.Crl, entry.Problem, Fetched: true);
        }
    }

    private static string Key(Uri location, X509Certificate2 issuer) => $"{issuer.Thumbprint} {location.AbsoluteUri}";

    private void Keep(string key, Entry entry, Uri location, X509Certificate2 issuer)
    {
        if (_entries.Count >= MaxEntries)
        {
            // What a held CRL revoked for good outlives the entry, as a replaced CRL's does; remembered before the entry goes,
            // and only the entry seen (one a concurrent fetch just kept stays).
            foreach (KeyValuePair<string, Entry> evicted in _entries)
            {
                if (evicted.Value is { Crl: { } crl, Ca: { } ca })
                {
                    Remember(ca, crl.RevokedCertificates.Where(r => r.IsPermanent).ToList(), $"{Describe(evicted.Value.Location, crl)} held before the CRL cache was emptied at its capacity");
                }

                _entries.TryRemove(evicted);
            }
        }

        Entry kept = entry with { Ca = IssuerKey(issuer), Location = location };
        // A CRL held here for the first time, or in place of another, may list a certificate a validator cached as Valid.
        _entries.AddOrUpdate(
            key,
            _ => Changed(null, kept),
            (_, before) => Changed(before.Crl, kept));
    }

    private Entry Changed(CertificateRevocationList? before, Entry kept)
    {
        if (kept.Crl is not null && before?.Id != kept.Crl.Id)
        {
            Interlocked.Increment(ref _crlChanges);
        }

        return kept;
    }

    /// <summary>An entry past its cache time whose CRL is still before its nextUpdate.</summary>
    private bool TryStillCurrent(string key, TimeSpan maxAge, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CrlLookup? lookup)
    {
        lookup = null;
        if (!_entries.TryGetValue(key, out Entry? entry) || entry.Crl is null || !entry.Crl.IsCurrentAt(_time.GetUtcNow(), maxAge))
        {
            return false;
        }

        lookup = new CrlLookup(entry.Crl, null, Fetched: false);
        return true;
    }

    private void RefreshInBackground(Uri location, X509Certificate2 issuer, TimeSpan maxAge, TimeSpan timeout, bool allowWeak)
    {
        string key = Key(location, issuer);
        if (!_refreshing.TryAdd(key, true))
        {
            return; // one refresh per URL at a time
        }

        _runInBackground(() =>
        {
            try
            {
                lock (_fetchLocks.GetOrAdd(key, _ => new object()))
                {
                    if (TryFresh(key, out _))
                    {
                        return;
                    }

                    Keep(key, Fetch(location, issuer, timeout, _time.GetUtcNow(), maxAge, allowWeak, Held(key)), location, issuer);
                }
            }
            catch (Exception)
            {
                // A refresh must never take the process down; the entry stays as it was and the next request retries.
            }
            finally
            {
                _refreshing.TryRemove(key, out _);
            }
        });
    }

    private bool TryFresh(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CrlLookup? lookup)
    {
        lookup = null;
        if (!_entries.TryGetValue(key, out Entry? entry) || _time.GetUtcNow() >= entry.ExpiresAt)
        {
            return false;
        }

        lookup = new CrlLookup(entry.Crl, entry.Problem, Fetched: false);
        return true;
    }

    /// <summary>The CRL held for <paramref name="key"/> (this issuer's, whatever its nextUpdate), else null.</summary>
    private CertificateRevocationList? Held(string key) =>
        _entries.TryGetValue(key, out Entry? entry) ? entry.Crl : null;

    private Entry Fetch(Uri location, X509Certificate2 issuer, TimeSpan timeout, DateTimeOffset now, TimeSpan maxAge, bool allowWeak, CertificateRevocationList? held)
    {
        Interlocked.Increment(ref _fetchCount);

        // Nothing usable came: keep what is held (a current copy serves on; a stale one still proves revocations).
        Entry KeepHeld(string problem) => held is null
            ? Entry.Failure(problem, now)
            : new Entry(held, held.IsCurrentAt(now, maxAge) ? null : $"{problem} The CRL held from before is past its {held.DescribeCurrentUntil(maxAge)}.", now + FailureTtl);

        byte[] bytes;
        try
        {
            bytes = Source.Fetch(location, timeout);
        }
        catch (Exception ex)
        {
            return KeepHeld($"The CRL at {location} could not be fetched: {ex.Message}");
        }

        CertificateRevocationList crl;
        try
        {
            crl = CertificateRevocationList.Parse(bytes, location.AbsoluteUri);
        }
        catch (CasbException ex)
        {
            return KeepHeld(ex.Message);
        }

        if (!crl.IsSignedBy(issuer))
        {
            return KeepHeld($"The CRL at {location} is not signed by '{issuer.Subject}' (issuer name or signature does not match); it was ignored.");
        }

        if (held is not null && ReplacementProblem(crl, held, allowWeak) is { } problem)
        {
            return KeepHeld($"The CRL at {location} (CRL number {crl.CrlNumber?.ToString() ?? "none"}, thisUpdate {crl.ThisUpdate:u}) {problem}; it was ignored.");
        }

        if (held is not null)
        {
            Retire(issuer, location, held, crl);
        }

        if (!crl.IsCurrentAt(now, maxAge))
        {
            // Kept, with the problem: it cannot vouch for anyone, but what it lists is revoked.
            return new Entry(crl, $"The CRL at {location} is out of date: its {crl.DescribeCurrentUntil(maxAge)} has passed.", now + FailureTtl);
        }

        DateTimeOffset expires = now + maxAge;
        if (crl.CurrentUntil(maxAge) is var currentUntil && currentUntil < expires)
        {
            expires = currentUntil;
        }

        return new Entry(crl, null, expires);
    }

    /// <summary>
    /// Why <paramref name="crl"/> (verified with the CA's key) may not take the place of <paramref name="held"/>, the CRL of the
    /// same CA relied on so far, else null. As Add-CasbCertificateRevocationList replaces a stored CRL: only with one of the
    /// same kind (complete or delta) and scope (<see cref="CertificateRevocationList.Scope"/>) that is not older, and never
    /// with one whose signature algorithm is refused while the held one's is accepted. Else what the held CRL lists would
    /// stop counting: a revoked certificate's status would become unknown, which Optional mode lets through.
    /// </summary>
    public static string? ReplacementProblem(CertificateRevocationList crl, CertificateRevocationList held, bool allowWeak)
    {
        ArgumentNullException.ThrowIfNull(crl);
        ArgumentNullException.ThrowIfNull(held);
        if (crl.SignatureProblem(allowWeak) is { } weak && held.SignatureProblem(allowWeak) is null)
        {
            return $"cannot take the place of the CRL already held: {weak}";
        }

        if (crl.IsDelta != held.IsDelta)
        {
            return $"is {(crl.IsDelta ? "a delta CRL" : "a complete CRL")}, and cannot take the place of the {(held.IsDelta ? "delta" : "complete")} CRL already held";
        }

        if (crl.Scope != held.Scope)
        {
            return $"is {(crl.IsDelta ? "a delta CRL" : "a complete CRL")} of another scope (issuing distribution point) than the one already held";
        }

        return held.IsNewerThan(crl) ? $"is older than the one already held (thisUpdate {held.ThisUpdate:u})" : null;
    }

    /// <summary>A revocation that a CRL held by the cache listed before a download replaced it (<see cref="FindRetired"/>), and where it came from.</summary>
    public sealed record RetiredRevocation(RevokedCertificate Revoked, string Source);

    private sealed record Entry(CertificateRevocationList? Crl, string? Problem, DateTimeOffset ExpiresAt)
    {
        /// <summary>The CA (<see cref="IssuerKey"/>) the CRL was verified for, and where it came from.</summary>
        public string? Ca { get; init; }

        public Uri? Location { get; init; }

        public static Entry Failure(string problem, DateTimeOffset now) => new(null, problem, now + FailureTtl);
    }
}
