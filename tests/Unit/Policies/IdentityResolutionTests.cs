using System.Net;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Policies;

public sealed class IdentityResolutionTests
{
    public static TheoryData<string, string?, string?, string?, string, string?, string> Cases => new()
    {
        // case, explicit user, header value, remote address, certificate, expected user, expected source
        { "explicit user beats everything", "admin@contoso.com", "proxy@contoso.com", "10.0.0.5", "valid", "admin@contoso.com", "Parameter" },
        { "header from a trusted proxy beats the certificate", null, "proxy@contoso.com", "10.0.0.5", "valid", "proxy@contoso.com", "IdentityHeader" },
        { "header from a trusted IPv6 proxy range", null, "proxy@contoso.com", "fd00::17", "none", "proxy@contoso.com", "IdentityHeader" },
        { "header from an IPv4-mapped trusted proxy", null, "proxy@contoso.com", "::ffff:10.0.0.5", "none", "proxy@contoso.com", "IdentityHeader" },
        { "header from an untrusted peer is ignored", null, "proxy@contoso.com", "10.0.0.6", "valid", "vendor@contoso.com", "Certificate" },
        { "header without a peer address is ignored", null, "proxy@contoso.com", null, "none", null, "Anonymous" },
        { "valid certificate names the user", null, null, "192.0.2.1", "valid", "vendor@contoso.com", "Certificate" },
        { "invalid certificate names no one", null, null, "192.0.2.1", "expired", null, "Anonymous" },
        { "no certificate is anonymous", null, null, "192.0.2.1", "none", null, "Anonymous" },
        { "blank header is ignored", null, "  ", "10.0.0.5", "none", null, "Anonymous" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_user_comes_from_the_most_trusted_source(
        string @case, string? user, string? header, string? remote, string certificate, string? expectedUser, string expectedSource)
    {
        AccessRequest request = new()
        {
            AppName = "Azure Portal",
            User = user,
            IdentityHeaderValue = header,
            RemoteAddress = remote is null ? null : IPAddress.Parse(remote),
            UserAgent = Edge,
            At = At,
        };
        CertificateValidationResult result = certificate switch
        {
            "valid" => ValidCertificate(),
            "expired" => ExpiredCertificate(),
            _ => NoCertificate,
        };

        AccessDecision decision = Decide(Seed(), request, result);

        Assert.True(expectedUser == decision.User, $"{@case}: user {decision.User}");
        Assert.Equal(expectedSource, decision.UserSource);
        bool headerIgnored = !string.IsNullOrWhiteSpace(header) && expectedSource is not (UserSources.IdentityHeader or UserSources.Parameter);
        Assert.Equal(headerIgnored, decision.Reasons.Any(r => r.StartsWith("The identity header was ignored", StringComparison.Ordinal)));
    }

    /// <summary>The identity header is a list (RFC 9110 §5.3): its user is the last element, trimmed; an empty one names no one.</summary>
    [Theory]
    [InlineData("mallory@contoso.com, proxy@contoso.com", "proxy@contoso.com", "IdentityHeader")]
    [InlineData("mallory@contoso.com,proxy@contoso.com", "proxy@contoso.com", "IdentityHeader")]
    [InlineData(" , \tproxy@contoso.com\t", "proxy@contoso.com", "IdentityHeader")]
    [InlineData("proxy@contoso.com, ", "vendor@contoso.com", "Certificate")]
    [InlineData("proxy@contoso.com,", "vendor@contoso.com", "Certificate")]
    [InlineData(",", "vendor@contoso.com", "Certificate")]
    public void An_identity_header_list_names_its_last_element(string header, string expectedUser, string expectedSource)
    {
        AccessRequest request = new()
        {
            AppName = "Azure Portal", IdentityHeaderValue = header, RemoteAddress = IPAddress.Parse("10.0.0.5"), UserAgent = Edge, At = At,
        };

        AccessDecision decision = Decide(Seed(), request, ValidCertificate());

        Assert.Equal(expectedUser, decision.User);
        Assert.Equal(expectedSource, decision.UserSource);
        Assert.DoesNotContain(decision.Reasons, r => r.StartsWith("The identity header was ignored", StringComparison.Ordinal));
    }

    [Fact]
    public void Groups_are_every_group_that_lists_the_user_case_insensitively()
    {
        CasbConfiguration configuration = Seed();
        configuration.Groups.Add(new GroupEntry { Name = "Contractors", Members = ["OTHER@contoso.com"] });
        configuration.Groups.Add(new GroupEntry { Name = "Admins", Members = ["admin@contoso.com"] });

        AccessDecision decision = Decide(configuration, Request(user: "other@CONTOSO.com"));

        Assert.Equal(["Vendors", "Contractors"], decision.Groups);
    }

    [Fact]
    public void A_valid_certificate_earns_the_valid_client_certificate_tag_and_an_invalid_one_none()
    {
        Assert.Equal([DeviceTags.ValidClientCertificate], Decide(Seed(), Request(), ValidCertificate()).DeviceTags);
        Assert.Empty(Decide(Seed(), Request(), ExpiredCertificate()).DeviceTags);
        Assert.Empty(Decide(Seed(), Request(), NoCertificate).DeviceTags);
    }
}
