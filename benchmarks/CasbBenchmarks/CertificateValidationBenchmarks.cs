using BenchmarkDotNet.Attributes;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbBenchmarks;

/// <summary>
/// Client-certificate validation as the gateway runs it per request: the first request of a certificate
/// (chain build, store CRL lookup) and a repeat request (the validator's result cache), plus CRL parsing.
/// </summary>
[MemoryDiagnoser]
public class CertificateValidationBenchmarks
{
    private LabPki _lab = null!;
    private CasbConfiguration _configuration = null!;
    private CertificateValidator _warm = null!;
    private CrlCache _crls = null!;
    private DateTimeOffset _at;

    [GlobalSetup]
    public void Setup()
    {
        _lab = LabPki.Create();
        _configuration = new CasbConfiguration();
        foreach ((var certificate, TrustedRootKind kind) in new[] { (_lab.Root, TrustedRootKind.Root), (_lab.Intermediate, TrustedRootKind.Intermediate) })
        {
            _configuration.TrustedRoots.Add(new TrustedRootEntry
            {
                Thumbprint = certificate.Thumbprint,
                Kind = kind,
                RawData = Convert.ToBase64String(certificate.RawData),
            });
        }

        RevocationLists.Add(_configuration, CertificateRevocationList.Parse(_lab.IntermediateCrl), force: false, DateTimeOffset.UtcNow);
        _crls = new CrlCache(new HttpCrlSource());
        _at = DateTimeOffset.UtcNow;
        _warm = new CertificateValidator(_configuration, _crls);
        _warm.Validate(_lab.Client, _at);
    }

    [GlobalCleanup]
    public void Cleanup() => _lab.Dispose();

    /// <summary>A new configuration revision and the first request with this certificate.</summary>
    [Benchmark]
    public CertificateValidationResult FirstRequest() => new CertificateValidator(_configuration, _crls).Validate(_lab.Client, _at);

    [Benchmark(Baseline = true)]
    public CertificateValidationResult RepeatRequest() => _warm.Validate(_lab.Client, _at);

    [Benchmark]
    public CertificateRevocationList ParseCrl() => CertificateRevocationList.Parse(_lab.IntermediateCrl);
}
