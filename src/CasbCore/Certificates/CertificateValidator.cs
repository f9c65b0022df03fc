using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Model;

namespace CasbCore.Certificates;

/// <summary>
/// The one certificate validator (gateway and Test-CasbClientCertificate): chains a client certificate to
/// the store's trusted roots only (custom root trust, intermediates from the store), checks the validity
/// period at a given time, end-entity + clientAuth EKU, and revocation per the store's mode. The rules a
/// client-certificate gate needs and the platform chain builder (OpenSSL on Linux) does not enforce are decided
/// here, each with its own failure reason: key and signature strength (<see cref="CryptographyRules"/>), CAs whose
/// EKU extension excludes client authentication, leaves that may sign certificates, the name constraints of every
/// CA on the principal (<see cref="NameConstraints"/>) and malformed UPN / e-mail names.
/// Built once per configuration revision (CA facts are worked out then); caches results per certificate.
/// </summary>
public sealed class CertificateValidator
{
    /// <summary>The longest a cached result is reused, even when nothing it depends on expires sooner.</summary>
    public static readonly TimeSpan ResultTtl = TimeSpan.FromMinutes(5);

    /// <summary>Results cached at most; past this the cache is emptied (a flood of distinct certificates must not grow memory).</summary>
    public const int MaxCachedResults = 10_000;

    private readonly X509Certificate2Collection _roots = new();
    private readonly X509Certificate2Collection _intermediates = new();
    private readonly Dictionary<string, X509Certificate2> _storeCertificates = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _rootThumbprints = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<StoredCrl> _storeCrls = new();
    private readonly ConcurrentDictionary<(string CrlId, string Issuer), bool> _storeCrlSignatures = new();
    private readonly ConcurrentDictionary<CertificateCacheKey, CachedResult> _results = new();
    // The result last found for a certificate object: a TLS connection hands every request on it the same object, whose
    // bytes cannot change, so its requests after the first skip hashing the DER bytes (the key above). Weak: it goes
    // with the connection's certificate object. The result is the same one the cache above holds and is checked the same way.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<X509Certificate2, CachedResult> _byInstance = new();
    private readonly Dictionary<string, CaProfile> _caProfiles = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(string IssuerThumbprint, string Problem)> _unusableStoreCrls = new();
    private readonly bool _allowWeak;

    public CertificateValidator(CasbConfiguration configuration, CrlCache? crlCache = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configuration = configuration;
        CrlCache = crlCache ?? CrlCache.Shared;
        _allowWeak = configuration.Settings.AllowWeakCertificateCryptography;

        foreach (TrustedRootEntry entry in configuration.TrustedRoots)
        {
            X509Certificate2 certificate;
            try
            {
                certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(entry.RawData));
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException)
            {
                continue; // an unreadable entry cannot anchor anything; the admin cmdlets refuse to store one anyway
            }

            _storeCertificates[certificate.Thumbprint] = certificate;
            CaProfile profile = CaProfile.Create(certificate, _allowWeak);
            _caProfiles[certificate.Thumbprint] = profile;

            // A "root" that is not really signed by its own key cannot anchor anything; it may still be an intermediate.
            if (entry.Kind == TrustedRootKind.Root && profile.SelfSigned)
            {
                _roots.Add(certificate);
                _rootThumbprints.Add(certificate.Thumbprint);
            }
            else
            {
                _intermediates.Add(certificate);
            }
        }

        foreach (RevocationListEntry entry in configuration.RevocationLists)
        {
            try
            {
                _storeCrls.Add(new StoredCrl(CertificateRevocationList.Parse(Convert.FromBase64String(entry.RawData)), entry.IssuerThumbprint, RevocationLists.RetiredBySerial(entry)));
            }
            catch (Exception ex) when (ex is FormatException or CasbException)
            {
                // Never authoritative (a store written by an older version or imported may hold one); said when it matters.
                _unusableStoreCrls.Add((entry.IssuerThumbprint, $"the store's CRL '{entry.Id}' of '{entry.Issuer}' cannot be used: {ex.Message}"));
            }
        }
    }

    public CasbConfiguration Configuration { get; }

    /// <summary>Where CRLs from distribution points come from (shared across revisions unless one was given).</summary>
    public CrlCache CrlCache { get; }

    /// <summary>How many results are cached (for tests and metrics).</summary>
    public int CachedResultCount => _results.Count;

    public CertificateValidationResult Validate(X509Certificate2? certificate, DateTimeOffset at)
    {
        if (certificate is null)
        {
            return CertificateValidationResult.None(at);
        }

        long crlChanges = CrlCache.CrlChanges;
        if (_byInstance.TryGetValue(certificate, out CachedResult? known) && known.IsUsableAt(at, crlChanges))
        {
            return known.Result;
        }

        CertificateCacheKey key;
        try
        {
            key = CertificateCacheKey.For(certificate);
        }
        catch (Exception ex)
        {
            return Broken(certificate, at, ex);
        }

        if (_results.TryGetValue(key, out CachedResult? cached) && cached.IsUsableAt(at, crlChanges))
        {
            _byInstance.AddOrUpdate(certificate, cached);
            return cached.Result;
        }

        CachedResult fresh;
        try
        {
            fresh = ValidateCore(certificate, at) with { CrlChanges = crlChanges };
        }
        catch (Exception ex)
        {
            // Garbage never escapes: a certificate we cannot process is simply not a valid one.
            return Broken(certificate, at, ex);
        }

        if (_results.Count >= MaxCachedResults)
        {
            _results.Clear();
        }

        _results[key] = fresh;
        _byInstance.AddOrUpdate(certificate, fresh);
        return fresh.Result;
    }

    private CachedResult ValidateCore(X509Certificate2 leaf, DateTimeOffset at)
    {
        var failures = new List<CertificateFailure>();
        var chainElements = new List<CertificateChainElement>();
        DateTimeOffset expires = at + ResultTtl;
        var path = new List<X509Certificate2> { leaf };
        bool trusted;

        // First: a certificate whose user names are malformed names no one, whatever else is wrong with it.
        CertificateIdentity identity = CertificateExtensions.ReadIdentity(leaf);
        if (identity.Problem is not null)
        {
            failures.Add(new CertificateFailure(CertificateFailureReason.MalformedSubjectAlternativeName, $"'{leaf.Subject}': {identity.Problem}"));
        }

        // OpenSSL links a certificate to the first store CA of its issuer's name and does not try another when the signature
        // does not verify (a certificate without an authority key identifier, its CA renewed with a new key under the same
        // name): build again without that CA while the store has another of the name. Every chain is still the platform's.
        var passedOver = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        X509Chain built = BuildChain(leaf, at, passedOver);
        while (WrongNamesake(built, passedOver) is { } wrong && passedOver.Add(wrong))
        {
            built.Dispose();
            built = BuildChain(leaf, at, passedOver);
        }

        using (X509Chain chain = built)
        {
            X509ChainElementCollection elements = chain.ChainElements;
            for (int i = 0; i < elements.Count; i++)
            {
                X509Certificate2 element = elements[i].Certificate;
                chainElements.Add(new CertificateChainElement(
                    element.Subject, element.Issuer, element.Thumbprint, ToOffset(element.NotBefore), ToOffset(element.NotAfter)));
                if (i > 0)
                {
                    // Use our own copy: the chain engine may have found a certificate outside the store (never trusted).
                    if (_storeCertificates.TryGetValue(element.Thumbprint, out X509Certificate2? stored))
                    {
                        path.Add(stored);
                    }
                    else
                    {
                        failures.Add(new CertificateFailure(
                            CertificateFailureReason.PartialChain,
                            $"The chain of '{leaf.Subject}' goes through '{element.Subject}', which is not a trusted root or intermediate in the store."));
                        path.Add(X509CertificateLoader.LoadCertificate(element.RawData));
                    }
                }
            }

            X509Certificate2 last = path[^1];
            trusted = path.Count > 0 && _rootThumbprints.Contains(last.Thumbprint) && !failures.Any(f => f.Reason == CertificateFailureReason.PartialChain);
            if (!_rootThumbprints.Contains(last.Thumbprint))
            {
                failures.Add(new CertificateFailure(CertificateFailureReason.UntrustedRoot, DescribeUntrusted(leaf, last)));
            }

            bool ownNameConstraintFailure = AddNameConstraintFailures(leaf, path, identity, failures);
            AddChainStatusFailures(chain, path, identity, ownNameConstraintFailure, failures);
        }

        foreach (X509Certificate2 element in path)
        {
            bool isLeaf = ReferenceEquals(element, leaf);
            string what = isLeaf ? "The certificate" : $"The CA certificate '{element.Subject}' in its chain";
            DateTimeOffset notBefore = ToOffset(element.NotBefore);
            DateTimeOffset notAfter = ToOffset(element.NotAfter);
            if (at < notBefore)
            {
                failures.Add(new CertificateFailure(CertificateFailureReason.NotYetValid, $"{what} is not valid before {notBefore:u} (checked at {at.ToUniversalTime():u})."));
            }
            else if (at > notAfter)
            {
                failures.Add(new CertificateFailure(CertificateFailureReason.Expired, $"{what} expired on {notAfter:u} (checked at {at.ToUniversalTime():u})."));
            }

            if (notAfter < expires)
            {
                expires = notAfter;
            }
        }

        failures.AddRange(ClientUsageFailures(leaf));

        AddCaFailures(leaf, path, failures);

        // A chain whose signatures cannot be relied on must not make us fetch from the distribution points it names.
        trusted &= !failures.Any(f => f.Reason is CertificateFailureReason.InvalidSignature or CertificateFailureReason.WeakSignature or CertificateFailureReason.WeakKey);

        bool shortLived = false;
        RevocationCheckMode mode = Configuration.Settings.RevocationMode;
        if (mode != RevocationCheckMode.None && trusted)
        {
            for (int i = 0; i < path.Count - 1; i++)
            {
                RevocationStatus status = CheckRevocation(path[i], path[i + 1], at);
                if (status.NextUpdate is { } nextUpdate && nextUpdate < expires)
                {
                    expires = nextUpdate;
                }

                if (status.Revoked is { } revoked)
                {
                    string reason = revoked.Reason is { } r ? $", reason {r}" : "";
                    failures.Add(new CertificateFailure(
                        CertificateFailureReason.Revoked,
                        $"'{path[i].Subject}' (serial {revoked.SerialNumber}) was revoked on {revoked.RevocationDate:u}{reason}, according to {status.Source}."));
                }
                else if (status.Problem is not null)
                {
                    // A failed fetch may succeed soon; a certificate without any source stays unknown until the store changes.
                    shortLived |= status.MayChange;
                    if (mode == RevocationCheckMode.Required)
                    {
                        failures.Add(new CertificateFailure(
                            CertificateFailureReason.RevocationUnknown,
                            $"The revocation status of '{path[i].Subject}' cannot be established and the revocation mode is Required: {status.Problem}"));
                    }
                }
            }
        }

        if (shortLived && at + CrlCache.FailureTtl < expires)
        {
            expires = at + CrlCache.FailureTtl;
        }

        bool valid = failures.Count == 0;
        var result = new CertificateValidationResult
        {
            IsValid = valid,
            Subject = leaf.Subject,
            Issuer = leaf.Issuer,
            Thumbprint = leaf.Thumbprint,
            NotBefore = ToOffset(leaf.NotBefore),
            NotAfter = ToOffset(leaf.NotAfter),
            Principal = identity.Principal,
            ValidatedAt = at,
            DeviceTags = valid ? new[] { DeviceTags.ValidClientCertificate } : Array.Empty<string>(),
            Failures = failures,
            Chain = chainElements,
        };
        return new CachedResult(result, at, ToOffset(leaf.NotBefore), expires);
    }

    private X509Chain BuildChain(X509Certificate2 leaf, DateTimeOffset at, HashSet<string> passedOver)
    {
        var chain = new X509Chain();
        X509ChainPolicy policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(_roots.Where(c => !passedOver.Contains(c.Thumbprint)).ToArray());
        policy.ExtraStore.AddRange(_intermediates.Where(c => !passedOver.Contains(c.Thumbprint)).ToArray());
        policy.DisableCertificateDownloads = true;
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.VerificationTime = at.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        policy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreNotTimeNested
            | X509VerificationFlags.IgnoreCtlNotTimeValid;
        chain.Build(leaf);
        return chain;
    }

    /// <summary>The store CA the chain took as an issuer whose signature does not verify, when the store has another CA of its name.</summary>
    private string? WrongNamesake(X509Chain chain, HashSet<string> passedOver)
    {
        X509ChainElementCollection elements = chain.ChainElements;
        for (int i = 0; i + 1 < elements.Count; i++)
        {
            X509Certificate2 issuer = elements[i + 1].Certificate;
            if (elements[i].ChainElementStatus.Any(s => s.Status == X509ChainStatusFlags.NotSignatureValid)
                && _storeCertificates.ContainsKey(issuer.Thumbprint)
                && _storeCertificates.Values.Any(other => other.Thumbprint != issuer.Thumbprint && !passedOver.Contains(other.Thumbprint)
                    && other.SubjectName.RawData.AsSpan().SequenceEqual(issuer.SubjectName.RawData)))
            {
                return issuer.Thumbprint;
            }
        }

        return null;
    }

    /// <summary>
    /// What in the certificate itself keeps the gateway from ever accepting it as a client certificate, whatever the store
    /// trusts: a CA certificate or one that may sign certificates (NotEndEntity), one without the clientAuth extended key
    /// usage or whose key usage does not allow digitalSignature (NoClientAuthentication). The validator and Import-CasbClientCertificate's warning share these words.
    /// </summary>
    public static IReadOnlyList<CertificateFailure> ClientUsageFailures(X509Certificate2 leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var usage = new List<CertificateFailure>();
        if (CertificateExtensions.IsCertificateAuthority(leaf))
        {
            usage.Add(new CertificateFailure(
                CertificateFailureReason.NotEndEntity,
                $"'{leaf.Subject}' is a CA certificate (basic constraints CA=true), not an end-entity client certificate."));
        }
        else if (leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } keyUsage
                 && (keyUsage.KeyUsages & X509KeyUsageFlags.KeyCertSign) != 0)
        {
            usage.Add(new CertificateFailure(
                CertificateFailureReason.NotEndEntity,
                $"'{leaf.Subject}' may sign certificates (key usage keyCertSign), so it is not an end-entity client certificate."));
        }

        // The client proves its key in the TLS handshake by signing with it; a key usage without digitalSignature forbids that.
        if (leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usages
            && (usages.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
        {
            usage.Add(new CertificateFailure(
                CertificateFailureReason.NoClientAuthentication,
                $"'{leaf.Subject}' does not allow client authentication: its key usage ({usages.KeyUsages}) does not include digitalSignature, which proving the key in the TLS handshake needs."));
        }

        IReadOnlyList<string>? ekus = CertificateExtensions.GetExtendedKeyUsages(leaf);
        if (ekus is null || !ekus.Contains(CertificateExtensions.ClientAuthenticationOid))
        {
            string has = ekus is null || ekus.Count == 0
                ? "it has no extended key usage"
                : "its extended key usages are " + string.Join(", ", ekus.Select(o => new Oid(o).FriendlyName ?? o));
            usage.Add(new CertificateFailure(
                CertificateFailureReason.NoClientAuthentication,
                $"'{leaf.Subject}' does not allow client authentication (EKU 1.3.6.1.5.5.7.3.2): {has}."));
        }
        return usage;
    }

    /// <summary>
    /// Revocation is permanent: a certificate listed in any CRL we hold from its issuer (readable, signed by the
    /// issuer, whatever its issuing distribution point's scope), current or past its nextUpdate, is revoked. Only the
    /// silence of a current CRL with an accepted signature algorithm that covers the certificate
    /// (<see cref="CertificateRevocationList.Covers"/>: a partition only its own) says "not revoked"; anything else
    /// leaves the status unknown. Delta CRLs (RFC 5280 5.2.4, 6.3.3): a complete CRL is read together with the newest
    /// delta that completes it (same scope, BaseCRLNumber at most its CRL number, a higher CRL number of its own),
    /// stored or fetched from its Freshest CRL URLs (or the certificate's): the delta's entry for the serial decides when
    /// it has one (removeFromCRL lifts a certificateHold of the complete CRL, and only in a current delta with an accepted
    /// signature algorithm; nothing else), else the complete CRL's. A complete CRL that
    /// announces a delta (or whose certificate does) without a current delta proves nothing by its silence.
    /// </summary>
    private RevocationStatus CheckRevocation(X509Certificate2 certificate, X509Certificate2 issuer, DateTimeOffset at)
    {
        RevocationStatus status = CheckRevocationLists(certificate, issuer, at);

        // So is a revocation that any CRL the cache holds for the CA lists, read by this check or not, or that a CRL held from
        // a download listed before a newer download that no longer lists it replaced it (asked after the lists: this very
        // check may have fetched the replacement).
        return status.Revoked is null && CrlCache.FindKnown(certificate, issuer) is { } retired
            ? new RevocationStatus(retired.Revoked, null, null, retired.Source)
            : status;
    }

    private RevocationStatus CheckRevocationLists(X509Certificate2 certificate, X509Certificate2 issuer, DateTimeOffset at)
    {
        var problems = new List<string>();
        GatewaySettings settings = Configuration.Settings;
        var context = new DeltaContext(certificate, issuer, at, CertificateExtensions.GetFreshestCrlLocations(certificate))
        {
            CertificateAnnouncesDelta = CertificateExtensions.AnnouncesDeltaCrl(certificate),
            MaxAge = CertificateRevocationList.CachePeriod(settings.CrlCacheMinutes),
            Timeout = TimeSpan.FromSeconds(Math.Clamp(settings.CrlFetchTimeoutSeconds, 1, 300)),
        };

        List<StoredCrl> storedOfIssuer = _storeCrls.Where(s => IsStoreCrlOf(s, issuer)).ToList();
        List<CertificateRevocationList> ofIssuer = storedOfIssuer.Select(s => s.Crl).ToList();
        context.StoreDeltas.AddRange(ofIssuer.Where(c => c.IsDelta));

        // Only the newest complete CRL of a scope that the store holds may vouch (a copied store may keep an older one beside
        // it, and a distribution point may replay one); an older one still proves what it lists.
        bool Superseded(CertificateRevocationList crl) => ofIssuer.Any(o => !o.IsDelta && o.Scope == crl.Scope && o.IsNewerThan(crl));

        // A revocation a delta lists (other than a hold, which a later delta may lift) is as permanent as a complete CRL's.
        foreach (CertificateRevocationList delta in context.StoreDeltas)
        {
            if (delta.FindRevoked(certificate) is { IsPermanent: true } revoked)
            {
                return Revoked(revoked, delta, $"the store's delta CRL of '{issuer.Subject}' (CRL number {delta.CrlNumber})", at, context.MaxAge);
            }
        }

        // And so is one that a stored CRL replaced listed (the CA dropped it, or a delta's entry its next complete CRL forgot).
        if (storedOfIssuer.Count > 0 && CertificateRevocationList.NormalizeSerial(certificate.SerialNumberBytes.Span) is var serial)
        {
            foreach (StoredCrl stored in storedOfIssuer)
            {
                if (stored.Retired is { } retired && retired.TryGetValue(serial, out RevokedCertificate? listedBefore))
                {
                    return new RevocationStatus(
                        listedBefore, null, null,
                        $"a CRL of '{issuer.Subject}' that the store's {(stored.Crl.IsDelta ? "delta CRL" : "CRL")} (CRL number {stored.Crl.CrlNumber?.ToString() ?? "none"}) replaced; the newer CRL does not list it, but a revocation is permanent");
                }
            }
        }

        (CompleteView View, string Source)? best = null;
        bool anyStale = false;
        foreach (CertificateRevocationList stored in ofIssuer.Where(c => !c.IsDelta))
        {
            string source = $"the store's CRL of '{issuer.Subject}' (thisUpdate {stored.ThisUpdate:u})";
            CompleteView view = Complete(stored, source, context);

            // Listed is revoked whatever the CRL's scope (a serial names one certificate of its issuer); only its silence is scoped.
            if (view.Listed is { } revoked)
            {
                return Revoked(revoked, view.ListedBy!, view.ListedSource!, at, context.MaxAge);
            }

            if (!stored.Covers(certificate) || Superseded(stored))
            {
                continue;
            }

            if (!stored.IsCurrentAt(at, context.MaxAge) || stored.SignatureProblem(_allowWeak) is not null)
            {
                anyStale = true;
            }
            else if (view.DeltaProblem is { } missing)
            {
                problems.Add(missing);
            }
            else if (best is null || stored.IsNewerThan(best.Value.View.Complete))
            {
                best = (view, source);
            }
        }

        if (best is { } found)
        {
            return new RevocationStatus(null, null, found.View.NextUpdate, found.View.Describe(found.Source));
        }

        if (anyStale)
        {
            problems.Add($"the store's CRL of '{issuer.Subject}' is past its nextUpdate (or, having no nextUpdate, the CRL cache period after its thisUpdate) or its signature algorithm is not accepted");
        }

        bool anyForIssuer = anyStale || problems.Count > 0;
        foreach ((string issuerThumbprint, string problem) in _unusableStoreCrls)
        {
            if (string.Equals(issuerThumbprint, issuer.Thumbprint, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(problem);
            }
        }

        IReadOnlyList<Uri> distributionPoints = CertificateExtensions.GetCrlDistributionPoints(certificate);
        if (distributionPoints.Count == 0)
        {
            problems.Add(anyForIssuer
                ? "the certificate has no CRL distribution point"
                : $"the certificate has no CRL distribution point and the store has no CRL of '{issuer.Subject}'");
        }

        foreach (Uri location in distributionPoints)
        {
            CrlLookup lookup = CrlCache.Get(location, issuer, context.MaxAge, context.Timeout, _allowWeak);
            if (lookup.Crl is not { } crl)
            {
                problems.Add(lookup.Problem ?? $"no CRL at {location}");
                continue;
            }

            if (crl.IsDelta)
            {
                if (crl.FindRevoked(certificate) is { IsPermanent: true } listed)
                {
                    return Revoked(listed, crl, $"the delta CRL at {location}", at, context.MaxAge);
                }

                problems.Add($"the CRL at {location} is a delta CRL, which is not complete on its own");
                continue;
            }

            CompleteView view = Complete(crl, $"the CRL at {location}", context);
            if (view.Listed is { } revoked)
            {
                return Revoked(revoked, view.ListedBy!, view.ListedSource!, at, context.MaxAge);
            }

            if (!crl.Covers(certificate))
            {
                problems.Add($"the CRL at {location} is scoped (issuing distribution point) to other certificates");
                continue;
            }

            if (Superseded(crl))
            {
                problems.Add($"the CRL at {location} (CRL number {crl.CrlNumber?.ToString() ?? "none"}, thisUpdate {crl.ThisUpdate:u}) is older than the store's CRL of '{issuer.Subject}' of its scope");
                continue;
            }

            if (!crl.IsCurrentAt(at, context.MaxAge))
            {
                problems.Add(lookup.Problem ?? $"the CRL at {location} is not current at {at.ToUniversalTime():u} ({crl.DescribeCurrentUntil(context.MaxAge)})");
                continue;
            }

            if (crl.SignatureProblem(_allowWeak) is { } weak)
            {
                problems.Add($"the CRL at {location} cannot vouch for the certificate: {weak}");
                continue;
            }

            if (view.DeltaProblem is { } missing)
            {
                problems.Add(missing);
                continue;
            }

            return new RevocationStatus(null, null, view.NextUpdate, view.Describe($"the CRL at {location}"));
        }

        return new RevocationStatus(null, string.Join("; ", problems) + ".", null, null, MayChange: distributionPoints.Count > 0 || context.Fetched);
    }

    /// <summary>
    /// <paramref name="complete"/> read with the newest delta CRL that completes it: stored, else (when the CRL or the
    /// certificate announces one and no current one is stored) fetched from the Freshest CRL URLs through the CRL cache,
    /// verified with the issuer's key.
    /// </summary>
    private CompleteView Complete(CertificateRevocationList complete, string source, DeltaContext context)
    {
        var announced = complete.FreshestCrlLocations.Concat(context.CertificateFreshest).DistinctBy(u => u.AbsoluteUri).ToList();
        bool needsDelta = complete.AnnouncesDelta || context.CertificateAnnouncesDelta;
        CertificateRevocationList? delta = context.StoreDeltas.Where(d => Completes(d, complete)).MaxBy(d => d.CrlNumber);
        string deltaSource = delta is null ? "" : $"the store's delta CRL of '{context.Issuer.Subject}' (CRL number {delta.CrlNumber})";
        var fetchProblems = new List<string>();
        if (needsDelta && (delta is null || !delta.IsCurrentAt(context.At, context.MaxAge)))
        {
            foreach (Uri location in announced)
            {
                context.Fetched = true;
                CrlLookup lookup = CrlCache.Get(location, context.Issuer, context.MaxAge, context.Timeout, _allowWeak);
                if (lookup.Crl is { } fetched && Completes(fetched, complete))
                {
                    if (delta is null || fetched.CrlNumber > delta.CrlNumber || (fetched.CrlNumber == delta.CrlNumber && fetched.IsCurrentAt(context.At, context.MaxAge)))
                    {
                        delta = fetched;
                        deltaSource = $"the delta CRL at {location}";
                    }
                }
                else if (lookup.Crl is { } other)
                {
                    fetchProblems.Add($"the CRL at {location} is not a delta CRL that completes CRL number {complete.CrlNumber?.ToString() ?? "none"} (it is {(other.IsDelta ? $"a delta CRL of base {other.BaseCrlNumber}, number {other.CrlNumber}" : "a complete CRL")})");
                }

                if (lookup.Problem is { } problem)
                {
                    fetchProblems.Add(problem);
                }
            }
        }

        RevokedCertificate? listed = null;
        CertificateRevocationList? listedBy = null;
        string? listedSource = null;
        bool usable = delta is not null && delta.IsCurrentAt(context.At, context.MaxAge) && delta.SignatureProblem(_allowWeak) is null;
        RevokedCertificate? inDelta = delta?.FindRevoked(context.Certificate);
        if (inDelta is { Reason: not X509RevocationReason.RemoveFromCrl })
        {
            (listed, listedBy, listedSource) = (inDelta, delta, deltaSource);
        }
        else if (complete.FindRevoked(context.Certificate) is { } inComplete
                 && !(inDelta is not null && usable && inComplete.Reason == X509RevocationReason.CertificateHold))
        {
            // removeFromCRL ends a hold (RFC 5280 5.3.1), and only in a delta that can vouch; any other revocation is permanent.
            (listed, listedBy, listedSource) = (inComplete, complete, source);
        }

        string? deltaProblem = null;
        if (needsDelta && !usable)
        {
            string where = announced.Count == 0 ? "no Freshest CRL URL is given" : $"Freshest CRL at {string.Join(", ", announced.Select(u => u.AbsoluteUri))}";
            string why = delta is null
                ? "no delta CRL that completes it is stored or could be fetched"
                : delta.SignatureProblem(_allowWeak) is { } weak
                    ? $"its delta CRL (CRL number {delta.CrlNumber}) cannot vouch for the certificate: {weak}"
                    : $"its delta CRL (CRL number {delta.CrlNumber}) is past its {delta.DescribeCurrentUntil(context.MaxAge)}";
            string fetched = fetchProblems.Count > 0 ? $" ({string.Join("; ", fetchProblems)})" : "";
            deltaProblem = $"{source} announces a delta CRL ({where}) and {why}{fetched}: the missing delta CRL may list revocations since CRL number {complete.CrlNumber?.ToString() ?? "none"}";
        }

        // Until when the answer holds: a CRL without nextUpdate holds only for the cache period, and so does a result drawn from it.
        DateTimeOffset nextUpdate = complete.CurrentUntil(context.MaxAge);
        if (usable && delta!.CurrentUntil(context.MaxAge) is var deltaNext && deltaNext < nextUpdate)
        {
            nextUpdate = deltaNext;
        }

        return new CompleteView(complete, usable ? delta : null, deltaSource, listed, listedBy, listedSource, deltaProblem, nextUpdate);
    }

    /// <summary>RFC 5280 6.3.3: a delta completes a complete CRL of its scope numbered at least its BaseCRLNumber and below its own number.</summary>
    private static bool Completes(CertificateRevocationList delta, CertificateRevocationList complete) =>
        delta.IsDelta && !complete.IsDelta && complete.CrlNumber is { } number
        && delta.Scope == complete.Scope && delta.BaseCrlNumber <= number && delta.CrlNumber > number;

    private static RevocationStatus Revoked(RevokedCertificate revoked, CertificateRevocationList crl, string source, DateTimeOffset at, TimeSpan cachePeriod) =>
        // No NextUpdate: a revocation never expires, so it does not shorten how long the result is cached.
        new(revoked, null, null, crl.IsCurrentAt(at, cachePeriod) ? source : $"{source}, past its {crl.DescribeCurrentUntil(cachePeriod)}");

    private bool IsStoreCrlOf(StoredCrl stored, X509Certificate2 issuer)
    {
        if (!stored.Crl.IsIssuedByName(issuer))
        {
            return false;
        }

        return _storeCrlSignatures.GetOrAdd((stored.Crl.Id, issuer.Thumbprint), _ => stored.Crl.IsSignedBy(issuer));
    }

    /// <summary>Key and signature strength of every certificate on the path, and the EKU of every CA.</summary>
    private void AddCaFailures(X509Certificate2 leaf, List<X509Certificate2> path, List<CertificateFailure> failures)
    {
        for (int i = 0; i < path.Count; i++)
        {
            X509Certificate2 element = path[i];
            bool isLeaf = i == 0;
            // The trust anchor's signature on itself proves nothing (it is trusted as a key); its key size matters.
            CaProfile? ca = isLeaf ? null : Profile(element);
            bool isAnchor = i > 0 && i == path.Count - 1 && (_rootThumbprints.Contains(element.Thumbprint) || ca!.SelfSigned);
            string what = isLeaf ? $"'{leaf.Subject}'" : $"The CA certificate '{element.Subject}' in its chain";

            if ((isLeaf ? CryptographyRules.KeyProblem(leaf, _allowWeak) : ca!.KeyProblem) is { } keyProblem)
            {
                failures.Add(new CertificateFailure(CertificateFailureReason.WeakKey, $"{what}: {keyProblem}."));
            }

            if (!isAnchor && (isLeaf ? LeafSignatureProblem(leaf) : ca!.SignatureProblem) is { } signatureProblem)
            {
                failures.Add(new CertificateFailure(CertificateFailureReason.WeakSignature, $"{what}: {signatureProblem}."));
            }

            // As Windows does: a CA that lists its extended key usages must list client authentication (or any).
            if (ca?.ExtendedKeyUsages is { } ekus
                && !ekus.Contains(CertificateExtensions.ClientAuthenticationOid) && !ekus.Contains(CertificateExtensions.AnyExtendedKeyUsageOid))
            {
                failures.Add(new CertificateFailure(
                    CertificateFailureReason.CaNotForClientAuthentication,
                    $"The CA '{element.Subject}' in the chain of '{leaf.Subject}' may not vouch for client certificates: its extended key usages are {DescribeEkus(ekus)}, without client authentication (1.3.6.1.5.5.7.3.2)."));
            }
        }
    }

    private string? LeafSignatureProblem(X509Certificate2 leaf)
    {
        try
        {
            return CryptographyRules.SignatureProblem(leaf, _allowWeak);
        }
        catch (AsnContentException ex)
        {
            return $"its signature algorithm cannot be read ({ex.Message})";
        }
    }

    /// <summary>
    /// The principal (the name the gateway uses) must be within the user-name constraints of every CA on the path,
    /// the trust anchor included. True when a violation was found.
    /// </summary>
    private bool AddNameConstraintFailures(X509Certificate2 leaf, List<X509Certificate2> path, CertificateIdentity identity, List<CertificateFailure> failures)
    {
        if (identity.Problem is not null)
        {
            return false; // already refused; a malformed name is not checked against anything
        }

        bool violated = false;
        for (int i = 1; i < path.Count; i++)
        {
            CaProfile ca = Profile(path[i]);
            if (ca.NameConstraintsProblem is not null)
            {
                failures.Add(new CertificateFailure(
                    CertificateFailureReason.InvalidCertificate,
                    $"The CA certificate '{path[i].Subject}' in the chain of '{leaf.Subject}' has name constraints that cannot be read: {ca.NameConstraintsProblem}"));
            }
            else if (ca.NameConstraints?.Check(identity.Principal) is { } violation)
            {
                string from = identity.Source switch
                {
                    PrincipalSource.UserPrincipalName => "its user principal name",
                    PrincipalSource.Email => "its e-mail name",
                    PrincipalSource.CommonName => "its subject common name",
                    _ => "it",
                };
                failures.Add(new CertificateFailure(
                    CertificateFailureReason.NameConstraintViolation,
                    $"'{leaf.Subject}' names the user from {from}, but the CA '{path[i].Subject}' may not issue that name: {violation}."));
                violated = true;
            }
        }

        return violated;
    }

    private CaProfile Profile(X509Certificate2 ca) =>
        _caProfiles.TryGetValue(ca.Thumbprint, out CaProfile? profile) ? profile : CaProfile.Create(ca, _allowWeak);

    private static string DescribeEkus(IReadOnlyList<string> ekus) =>
        ekus.Count == 0 ? "none" : string.Join(", ", ekus.Select(o => new Oid(o).FriendlyName is { Length: > 0 } name && name != o ? $"{name} ({o})" : o));

    /// <summary>
    /// What the platform chain builder found wrong. Time, revocation and trust are decided by this class itself.
    /// Name-constraint findings of the platform (DNS, directory-name, e-mail constraints) are reported as
    /// NameConstraintViolation unless the engine already reported one. OpenSSL reports a UPN in the certificate under
    /// a CA with UPN constraints as an "unsupported name constraint type"; that finding is dropped when the engine
    /// checked it, i.e. when it read every CA's constraints and none has a form that nobody checks.
    /// </summary>
    private void AddChainStatusFailures(
        X509Chain chain, List<X509Certificate2> path, CertificateIdentity identity, bool ownNameConstraintFailure, List<CertificateFailure> failures)
    {
        bool upnConstraints = false;
        bool allUnderstood = true;
        for (int i = 1; i < path.Count; i++)
        {
            CaProfile ca = Profile(path[i]);
            upnConstraints |= ca.NameConstraints?.HasUpnConstraints == true;
            allUnderstood &= ca.NameConstraintsProblem is null && ca.NameConstraints?.HasFormsNobodyChecks != true;
        }

        bool constraintsUnderstood = upnConstraints && allUnderstood && identity.Source == PrincipalSource.UserPrincipalName;

        foreach (X509ChainElement element in chain.ChainElements)
        {
            foreach (X509ChainStatus status in element.ChainElementStatus)
            {
                CertificateFailureReason? reason = status.Status switch
                {
                    X509ChainStatusFlags.NotSignatureValid => CertificateFailureReason.InvalidSignature,
                    X509ChainStatusFlags.HasNotSupportedNameConstraint when constraintsUnderstood => null,
                    X509ChainStatusFlags.InvalidNameConstraints
                        or X509ChainStatusFlags.HasNotSupportedNameConstraint
                        or X509ChainStatusFlags.HasNotDefinedNameConstraint
                        or X509ChainStatusFlags.HasNotPermittedNameConstraint
                        or X509ChainStatusFlags.HasExcludedNameConstraint => ownNameConstraintFailure ? null : CertificateFailureReason.NameConstraintViolation,
                    X509ChainStatusFlags.HasWeakSignature => CertificateFailureReason.WeakSignature,
                    X509ChainStatusFlags.InvalidBasicConstraints
                        or X509ChainStatusFlags.InvalidExtension
                        or X509ChainStatusFlags.HasNotSupportedCriticalExtension
                        or X509ChainStatusFlags.InvalidPolicyConstraints
                        or X509ChainStatusFlags.NoIssuanceChainPolicy
                        or X509ChainStatusFlags.NotValidForUsage => CertificateFailureReason.InvalidCertificate,
                    X509ChainStatusFlags.ExplicitDistrust or X509ChainStatusFlags.Cyclic => CertificateFailureReason.UntrustedRoot,
                    _ => null,
                };
                if (reason is { } r)
                {
                    string text = status.StatusInformation.Trim();
                    failures.Add(new CertificateFailure(r, $"'{element.Certificate.Subject}': {(text.Length > 0 ? text : status.Status.ToString())}"));
                }
            }
        }
    }

    private string DescribeUntrusted(X509Certificate2 leaf, X509Certificate2 last)
    {
        bool selfIssued = last.SubjectName.RawData.AsSpan().SequenceEqual(last.IssuerName.RawData);
        if (selfIssued)
        {
            return $"The chain of '{leaf.Subject}' ends at the root '{last.Subject}', which is not a trusted root in the store.";
        }

        if (_storeCertificates.Values.Any(ca => ca.SubjectName.RawData.AsSpan().SequenceEqual(last.IssuerName.RawData)))
        {
            // The issuer is in the store, yet the platform did not link to it: the certificate itself is at fault.
            return $"The chain of '{leaf.Subject}' cannot be completed: '{last.Subject}' names the trusted CA '{last.Issuer}' as its issuer, but the platform could not link it to that CA (its signature or one of its extensions may be invalid).";
        }

        return $"The chain of '{leaf.Subject}' cannot be completed: the issuer '{last.Issuer}' of '{last.Subject}' is not a trusted root or intermediate in the store (add it with Add-CasbTrustedRoot).";
    }

    private static CertificateValidationResult Broken(X509Certificate2 certificate, DateTimeOffset at, Exception ex)
    {
        string? subject = null;
        string? thumbprint = null;
        try
        {
            subject = certificate.Subject;
            thumbprint = certificate.Thumbprint;
        }
        catch (Exception)
        {
            // Even the names are unreadable; report without them.
        }

        return new CertificateValidationResult
        {
            IsValid = false,
            Subject = subject,
            Issuer = null,
            Thumbprint = thumbprint,
            ValidatedAt = at,
            Failures = new[] { new CertificateFailure(CertificateFailureReason.InvalidCertificate, $"The certificate cannot be processed: {ex.Message}") },
        };
    }

    private static DateTimeOffset ToOffset(DateTime value) => new(value.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>What the validator needs to know about a CA certificate, worked out once per revision for the store's CAs.</summary>
    private sealed record CaProfile(
        string? KeyProblem,
        string? SignatureProblem,
        IReadOnlyList<string>? ExtendedKeyUsages,
        NameConstraints? NameConstraints,
        string? NameConstraintsProblem,
        bool SelfSigned)
    {
        public static CaProfile Create(X509Certificate2 ca, bool allowWeak)
        {
            string? signatureProblem;
            try
            {
                signatureProblem = CryptographyRules.SignatureProblem(ca, allowWeak);
            }
            catch (AsnContentException ex)
            {
                signatureProblem = $"its signature algorithm cannot be read ({ex.Message})";
            }

            IReadOnlyList<string>? ekus;
            try
            {
                ekus = CertificateExtensions.GetExtendedKeyUsages(ca);
            }
            catch (CryptographicException)
            {
                ekus = Array.Empty<string>(); // present but unreadable: it vouches for nothing
            }

            NameConstraints? constraints = null;
            string? constraintsProblem = null;
            try
            {
                constraints = NameConstraints.Read(ca);
            }
            catch (CryptographicException ex)
            {
                constraintsProblem = ex.Message;
            }

            return new CaProfile(
                CryptographyRules.KeyProblem(ca, allowWeak), signatureProblem, ekus, constraints, constraintsProblem, SignatureAlgorithm.IsSelfSigned(ca));
        }
    }

    /// <param name="Retired">What the CRLs it replaced revoked and it does not list (<see cref="RevocationListEntry.Retired"/>), by normalized serial.</param>
    private sealed record StoredCrl(CertificateRevocationList Crl, string IssuerThumbprint, IReadOnlyDictionary<string, RevokedCertificate>? Retired);

    /// <summary>What one revocation check knows about delta CRLs: the store's deltas of the issuer and the certificate's Freshest CRL URLs.</summary>
    private sealed class DeltaContext(X509Certificate2 certificate, X509Certificate2 issuer, DateTimeOffset at, IReadOnlyList<Uri> certificateFreshest)
    {
        public X509Certificate2 Certificate { get; } = certificate;

        public X509Certificate2 Issuer { get; } = issuer;

        public DateTimeOffset At { get; } = at;

        public IReadOnlyList<Uri> CertificateFreshest { get; } = certificateFreshest;

        /// <summary>True when the certificate has a Freshest CRL extension, even one without a location that can be fetched.</summary>
        public bool CertificateAnnouncesDelta { get; init; }

        public List<CertificateRevocationList> StoreDeltas { get; } = new();

        public TimeSpan MaxAge { get; init; }

        public TimeSpan Timeout { get; init; }

        /// <summary>True once a distribution point was asked: a failure then may clear soon.</summary>
        public bool Fetched { get; set; }
    }

    /// <summary>A complete CRL with the delta that completes it (null when none is current), and what they say about one certificate.</summary>
    private sealed record CompleteView(
        CertificateRevocationList Complete,
        CertificateRevocationList? Delta,
        string DeltaSource,
        RevokedCertificate? Listed,
        CertificateRevocationList? ListedBy,
        string? ListedSource,
        string? DeltaProblem,
        DateTimeOffset? NextUpdate)
    {
        public string Describe(string source) => Delta is null ? source : $"{source} and {DeltaSource}";
    }

    private sealed record RevocationStatus(RevokedCertificate? Revoked, string? Problem, DateTimeOffset? NextUpdate, string? Source, bool MayChange = false);

    private sealed record CachedResult(CertificateValidationResult Result, DateTimeOffset ValidatedAt, DateTimeOffset NotBefore, DateTimeOffset ExpiresAt)
    {
        /// <summary><see cref="CrlCache.CrlChanges"/> before the result was found: a CRL downloaded since may revoke the certificate.</summary>
        public long CrlChanges { get; init; }

        public bool IsUsableAt(DateTimeOffset at, long crlChanges) => at >= ValidatedAt && at >= NotBefore && at < ExpiresAt && crlChanges == CrlChanges;
    }
}
