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
    public CertificateValidator(CasbConfiguration configuration)
    {
        Configuration = configuration;
    }

    public CasbConfiguration Configuration { get; }

    public CertificateValidationResult Validate(X509Certificate2? certificate, DateTimeOffset at)
    {
        // TODO(issue 2): implemented by the certificate-validation work.
        throw new NotImplementedException();
    }
}
