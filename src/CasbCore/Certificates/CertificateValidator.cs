using System.Collections.Concurrent;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Model;

namespace CasbCore.Certificates;

/// <summary>
/// The one certificate validator (gateway and Test-CasbClientCertificate): chains a client certificate to
/// the store's trusted roots only (custom root trust, intermediates from the store), checks the validity
/// period at a given time, end-entity + clientAuth EKU, and revocation per the store's mode.
/// Built once per configuration revision; caches results per certificate.
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
    private readonly ConcurrentDictionary<string, CachedResult> _results = new(StringComparer.Ordinal);

    public CertificateValidator(CasbConfiguration configuration, CrlCache? crlCache = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configuration = configuration;
        CrlCache = crlCache ?? CrlCache.Shared;

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
            if (entry.Kind == TrustedRootKind.Root)
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
                _storeCrls.Add(new StoredCrl(CertificateRevocationList.Parse(Convert.FromBase64String(entry.RawData)), entry.IssuerThumbprint));
            }
            catch (Exception ex) when (ex is FormatException or CasbException)
            {
                // Skipped: Add-CasbCertificateRevocationList only stores CRLs it parsed.
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

        string key;
        try
        {
            key = CertificateExtensions.GetSha256Thumbprint(certificate);
        }
        catch (Exception ex)
        {
            return Broken(certificate, at, ex);
        }

        if (_results.TryGetValue(key, out CachedResult? cached) && cached.IsUsableAt(at))
        {
            return cached.Result;
        }

        CachedResult fresh;
        try
        {
            fresh = ValidateCore(certificate, at);
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
        return fresh.Result;
    }

    private CachedResult ValidateCore(X509Certificate2 leaf, DateTimeOffset at)
    {
        var failures = new List<CertificateFailure>();
        var chainElements = new List<CertificateChainElement>();
        DateTimeOffset expires = at + ResultTtl;
        var path = new List<X509Certificate2> { leaf };
        bool trusted;

        using (var chain = new X509Chain())
        {
            X509ChainPolicy policy = chain.ChainPolicy;
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(_roots);
            policy.ExtraStore.AddRange(_intermediates);
            policy.DisableCertificateDownloads = true;
            policy.RevocationMode = X509RevocationMode.NoCheck;
            policy.VerificationTime = at.UtcDateTime;
            policy.VerificationTimeIgnored = false;
            policy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreNotTimeNested
                | X509VerificationFlags.IgnoreCtlNotTimeValid;

            chain.Build(leaf);
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

            AddChainStatusFailures(chain, failures);
            trusted &= !failures.Any(f => f.Reason == CertificateFailureReason.InvalidSignature);
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

        if (CertificateExtensions.IsCertificateAuthority(leaf))
        {
            failures.Add(new CertificateFailure(
                CertificateFailureReason.NotEndEntity,
                $"'{leaf.Subject}' is a CA certificate (basic constraints CA=true), not an end-entity client certificate."));
        }

        IReadOnlyList<string>? ekus = CertificateExtensions.GetExtendedKeyUsages(leaf);
        if (ekus is null || !ekus.Contains(CertificateExtensions.ClientAuthenticationOid))
        {
            string has = ekus is null || ekus.Count == 0
                ? "it has no extended key usage"
                : "its extended key usages are " + string.Join(", ", ekus.Select(o => new Oid(o).FriendlyName ?? o));
            failures.Add(new CertificateFailure(
                CertificateFailureReason.NoClientAuthentication,
                $"'{leaf.Subject}' does not allow client authentication (EKU 1.3.6.1.5.5.7.3.2): {has}."));
        }

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
            Principal = CertificateExtensions.GetPrincipal(leaf),
            ValidatedAt = at,
            DeviceTags = valid ? new[] { DeviceTags.ValidClientCertificate } : Array.Empty<string>(),
            Failures = failures,
            Chain = chainElements,
        };
        return new CachedResult(result, at, ToOffset(leaf.NotBefore), expires);
    }

    private RevocationStatus CheckRevocation(X509Certificate2 certificate, X509Certificate2 issuer, DateTimeOffset at)
    {
        var problems = new List<string>();

        StoredCrl? best = null;
        bool anyForIssuer = false;
        foreach (StoredCrl stored in _storeCrls)
        {
            if (!IsStoreCrlOf(stored, issuer) || !stored.Crl.Covers(certificate))
            {
                continue;
            }

            anyForIssuer = true;
            if (stored.Crl.IsCurrentAt(at) && (best is null || IsNewer(stored.Crl, best.Crl)))
            {
                best = stored;
            }
        }

        if (best is not null)
        {
            return new RevocationStatus(best.Crl.FindRevoked(certificate), null, best.Crl.NextUpdate, $"the store's CRL of '{issuer.Subject}' (thisUpdate {best.Crl.ThisUpdate:u})");
        }

        if (anyForIssuer)
        {
            problems.Add($"the store's CRL of '{issuer.Subject}' is past its nextUpdate");
        }

        IReadOnlyList<Uri> distributionPoints = CertificateExtensions.GetCrlDistributionPoints(certificate);
        if (distributionPoints.Count == 0)
        {
            problems.Add(anyForIssuer
                ? "the certificate has no CRL distribution point"
                : $"the certificate has no CRL distribution point and the store has no CRL of '{issuer.Subject}'");
        }

        GatewaySettings settings = Configuration.Settings;
        TimeSpan maxAge = TimeSpan.FromMinutes(Math.Max(0, settings.CrlCacheMinutes));
        TimeSpan timeout = TimeSpan.FromSeconds(Math.Clamp(settings.CrlFetchTimeoutSeconds, 1, 300));
        foreach (Uri location in distributionPoints)
        {
            CrlLookup lookup = CrlCache.Get(location, issuer, maxAge, timeout);
            if (lookup.Crl is null)
            {
                problems.Add(lookup.Problem ?? $"no CRL at {location}");
                continue;
            }

            if (!lookup.Crl.Covers(certificate))
            {
                problems.Add($"the CRL at {location} is scoped (issuing distribution point) to other certificates");
                continue;
            }

            if (!lookup.Crl.IsCurrentAt(at))
            {
                problems.Add($"the CRL at {location} is not current at {at.ToUniversalTime():u} (nextUpdate {lookup.Crl.NextUpdate:u})");
                continue;
            }

            return new RevocationStatus(lookup.Crl.FindRevoked(certificate), null, lookup.Crl.NextUpdate, $"the CRL at {location}");
        }

        return new RevocationStatus(null, string.Join("; ", problems) + ".", null, null, MayChange: distributionPoints.Count > 0);
    }

    private bool IsStoreCrlOf(StoredCrl stored, X509Certificate2 issuer)
    {
        if (!stored.Crl.IsIssuedByName(issuer))
        {
            return false;
        }

        return _storeCrlSignatures.GetOrAdd((stored.Crl.Id, issuer.Thumbprint), _ => stored.Crl.IsSignedBy(issuer));
    }

    private static bool IsNewer(CertificateRevocationList candidate, CertificateRevocationList than)
    {
        if (candidate.CrlNumber is { } a && than.CrlNumber is { } b && a != b)
        {
            return a > b;
        }

        return candidate.ThisUpdate > than.ThisUpdate;
    }

    private static void AddChainStatusFailures(X509Chain chain, List<CertificateFailure> failures)
    {
        foreach (X509ChainElement element in chain.ChainElements)
        {
            foreach (X509ChainStatus status in element.ChainElementStatus)
            {
                CertificateFailureReason? reason = status.Status switch
                {
                    X509ChainStatusFlags.NotSignatureValid => CertificateFailureReason.InvalidSignature,
                    X509ChainStatusFlags.InvalidBasicConstraints
                        or X509ChainStatusFlags.InvalidExtension
                        or X509ChainStatusFlags.HasNotSupportedCriticalExtension
                        or X509ChainStatusFlags.InvalidNameConstraints
                        or X509ChainStatusFlags.HasNotSupportedNameConstraint
                        or X509ChainStatusFlags.HasNotDefinedNameConstraint
                        or X509ChainStatusFlags.HasNotPermittedNameConstraint
                        or X509ChainStatusFlags.HasExcludedNameConstraint
                        or X509ChainStatusFlags.InvalidPolicyConstraints
                        or X509ChainStatusFlags.NoIssuanceChainPolicy
                        or X509ChainStatusFlags.NotValidForUsage => CertificateFailureReason.InvalidCertificate,
                    X509ChainStatusFlags.ExplicitDistrust or X509ChainStatusFlags.Cyclic => CertificateFailureReason.UntrustedRoot,
                    _ => null, // time, revocation and trust are decided by this class itself
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

    private sealed record StoredCrl(CertificateRevocationList Crl, string IssuerThumbprint);

    private sealed record RevocationStatus(RevokedCertificate? Revoked, string? Problem, DateTimeOffset? NextUpdate, string? Source, bool MayChange = false);

    private sealed record CachedResult(CertificateValidationResult Result, DateTimeOffset ValidatedAt, DateTimeOffset NotBefore, DateTimeOffset ExpiresAt)
    {
        public bool IsUsableAt(DateTimeOffset at) => at >= ValidatedAt && at >= NotBefore && at < ExpiresAt;
    }
}
