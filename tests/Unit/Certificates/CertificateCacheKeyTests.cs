using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CsCheck;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// The validator's result cache is keyed on the certificate's bytes: a hit must be the same certificate byte for byte,
/// whatever object carries it, and a certificate that differs in any byte is validated on its own.
/// </summary>
public sealed class CertificateCacheKeyTests : IClassFixture<LabPkiFixture>
{
    private readonly LabPki _lab;

    public CertificateCacheKeyTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    private CertificateValidator Validator() => new(TestConfigurations.Trusting(_lab), new CrlCache(new NoNetworkCrlSource()));

    [Fact]
    public void The_same_bytes_in_another_certificate_object_are_one_cached_result()
    {
        CertificateValidator validator = Validator();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        CertificateValidationResult first = validator.Validate(_lab.Client, now);

        using X509Certificate2 copy = X509CertificateLoader.LoadCertificate(_lab.Client.RawData);
        CertificateValidationResult second = validator.Validate(copy, now);

        Assert.True(first.IsValid);
        Assert.Same(first, second);
        Assert.Equal(1, validator.CachedResultCount);
    }

    [Fact]
    public void A_certificate_that_differs_in_any_one_byte_never_gets_the_cached_valid_result()
    {
        byte[] der = _lab.Client.RawData;
        CertificateValidator validator = Validator();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        CertificateValidationResult valid = validator.Validate(_lab.Client, now);
        Assert.True(valid.IsValid);

        Gen.Select(Gen.Int[0, der.Length - 1], Gen.Byte[1, 255]).Sample((position, flip) =>
        {
            byte[] changed = (byte[])der.Clone();
            changed[position] ^= flip;
            X509Certificate2 neighbour;
            try
            {
                neighbour = X509CertificateLoader.LoadCertificate(changed);
            }
            catch (CryptographicException)
            {
                return; // not a certificate any more: nothing a client could present
            }

            using (neighbour)
            {
                CertificateValidationResult result = validator.Validate(neighbour, now);
                Assert.NotSame(valid, result);
                Assert.False(result.IsValid, $"byte {position} ^ {flip}: the changed certificate was accepted");
                Assert.Equal(neighbour.Thumbprint, result.Thumbprint);
            }
        }, iter: 200);

        // And the original is still answered from its own entry.
        Assert.Same(valid, validator.Validate(_lab.Client, now));
    }

    [Fact]
    public void A_repeat_request_with_a_cached_certificate_allocates_nothing()
    {
        CertificateValidator validator = Validator();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        CertificateValidationResult first = validator.Validate(_lab.Client, now);
        for (int i = 0; i < 200; i++)
        {
            validator.Validate(_lab.Client, now); // warm up (tiered JIT)
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        CertificateValidationResult last = first;
        for (int i = 0; i < 1_000; i++)
        {
            last = validator.Validate(_lab.Client, now);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Same(first, last);
        Assert.True(allocated == 0, $"1,000 cached validations allocated {allocated} bytes (the key used to be a SHA-256 hex string and a copy of the certificate).");
    }

    [Fact]
    public void The_certificate_object_a_connection_presents_again_is_validated_again_once_its_result_expires()
    {
        CertificateValidator validator = Validator();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        CertificateValidationResult first = validator.Validate(_lab.Client, now);

        // The same object (a connection's requests): the remembered result while it lasts, a new validation after.
        Assert.Same(first, validator.Validate(_lab.Client, now.AddMinutes(1)));
        CertificateValidationResult later = validator.Validate(_lab.Client, now + CertificateValidator.ResultTtl + TimeSpan.FromMinutes(1));
        Assert.NotSame(first, later);
        Assert.True(later.IsValid);
        Assert.Same(later, validator.Validate(_lab.Client, now + CertificateValidator.ResultTtl + TimeSpan.FromMinutes(2)));

        // Long after the certificate expired, the same object is not valid any more.
        CertificateValidationResult expired = validator.Validate(_lab.Client, _lab.Client.NotAfter.ToUniversalTime().AddDays(1));
        Assert.False(expired.IsValid);
    }
}
