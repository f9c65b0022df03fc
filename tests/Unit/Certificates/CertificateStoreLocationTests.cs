using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

public sealed class CertificateStoreLocationTests
{
    [Theory]
    [InlineData(@"Cert:\CurrentUser\My", StoreLocation.CurrentUser, StoreName.My)]
    [InlineData(@"cert:\currentuser\root", StoreLocation.CurrentUser, StoreName.Root)]
    [InlineData("Cert:/LocalMachine/My/", StoreLocation.LocalMachine, StoreName.My)]
    [InlineData(@"CurrentUser\CA", StoreLocation.CurrentUser, StoreName.CertificateAuthority)]
    [InlineData(@"Cert:\CurrentUser\TrustedPeople", StoreLocation.CurrentUser, StoreName.TrustedPeople)]
    public void Parses_Cert_drive_paths(string text, StoreLocation location, StoreName name)
    {
        CertificateStoreLocation parsed = CertificateStoreLocation.Parse(text);

        Assert.Equal(location, parsed.Location);
        Assert.Equal(name, parsed.Name);
    }

    [Theory]
    [InlineData(@"Cert:\Somewhere\My")]
    [InlineData(@"Cert:\CurrentUser\Mine")]
    [InlineData(@"Cert:\CurrentUser\1")]
    [InlineData(@"Cert:\CurrentUser")]
    [InlineData(@"C:\certs\my")]
    [InlineData("")]
    public void Refuses_anything_else_with_InvalidCertStoreLocation(string text)
    {
        Assert.Equal("InvalidCertStoreLocation", Assert.Throws<CasbException>(() => CertificateStoreLocation.Parse(text)).ErrorId);
    }

    [Fact]
    public void Root_and_CA_hold_certificate_authorities_and_My_does_not()
    {
        Assert.True(CertificateStoreLocation.Parse(@"Cert:\CurrentUser\Root").HoldsCertificateAuthorities);
        Assert.True(CertificateStoreLocation.Parse(@"Cert:\CurrentUser\CA").HoldsCertificateAuthorities);
        Assert.False(CertificateStoreLocation.CurrentUserMy.HoldsCertificateAuthorities);
        Assert.Equal(@"Cert:\CurrentUser\CA", CertificateStoreLocation.Parse("currentuser/ca").ToString());
    }

    [Fact]
    public void LocalMachine_is_read_only_on_Linux()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        CasbException error = Assert.Throws<CasbException>(() => CertificateStoreLocation.Parse(@"Cert:\LocalMachine\Root").ThrowIfReadOnly());

        Assert.Equal("CertStoreReadOnly", error.ErrorId);
        Assert.Contains(@"Cert:\CurrentUser\Root", error.Message);
    }
}
