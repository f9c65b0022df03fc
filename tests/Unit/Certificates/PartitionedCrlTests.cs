using System.Formats.Asn1;
using CsCheck;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>
/// Partitioned ("sharded") CRLs: a CA that splits its revocations over several CRLs names each one's distribution point
/// in its issuingDistributionPoint extension, and each certificate names its own partition in its CRL distribution
/// point (RFC 5280 5.2.5, 6.3.3 b.2.i). A partition's silence says nothing about a certificate of another partition,
/// and storing one partition must not drop another.
/// </summary>
public sealed class PartitionedCrlTests : IClassFixture<LabPkiFixture>
{
    private const string PartitionA = "http://127.0.0.1:9/partition-a.crl";
    private const string PartitionB = "http://127.0.0.1:9/partition-b.crl";

    private readonly LabPki _lab;

    public PartitionedCrlTests(LabPkiFixture fixture) => _lab = fixture.Lab;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    private static CertificateFailureReason[] Reasons(CertificateValidationResult result) => result.Failures.Select(f => f.Reason).ToArray();

    [Theory]
    [InlineData(RevocationCheckMode.Optional)]
    [InlineData(RevocationCheckMode.Required)]
    public void A_stored_partition_does_not_vouch_for_a_certificate_revoked_in_its_own_partition(RevocationCheckMode mode)
    {
        using X509Certificate2 revokedInB = _lab.IssueClient("CN=Partition B Revoked", "pb@contoso.com", Now.AddDays(-1), Now.AddDays(30), PartitionB);
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, mode).WithCrls(_lab.RootCrl, PartitionCrl(_lab, 7, PartitionA));
        var source = new PartitionSource { [PartitionB] = PartitionCrl(_lab, 7, PartitionB, revokedInB) };

        CertificateValidationResult result = new CertificateValidator(configuration, new CrlCache(source)).Validate(revokedInB, Now);

        Assert.False(result.IsValid, "partition A's silence was taken for partition B's certificate");
        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(result));
    }

    [Fact]
    public void A_partition_CRL_covers_only_the_certificates_that_name_its_distribution_point()
    {
        using X509Certificate2 inA = _lab.IssueClient("CN=Partition A", null, Now.AddDays(-1), Now.AddDays(30), PartitionA);
        using X509Certificate2 inB = _lab.IssueClient("CN=Partition B", null, Now.AddDays(-1), Now.AddDays(30), PartitionB);
        using X509Certificate2 none = _lab.IssueClient("CN=No Partition", null, Now.AddDays(-1), Now.AddDays(30));
        CertificateRevocationList a = CertificateRevocationList.Parse(PartitionCrl(_lab, 7, PartitionA));
        CertificateRevocationList full = CertificateRevocationList.Parse(_lab.IntermediateCrl);

        Assert.True(a.Covers(inA));
        Assert.False(a.Covers(inB));
        Assert.False(a.Covers(none));
        Assert.True(full.Covers(inB) && full.Covers(none));
    }

    [Theory]
    [InlineData(RevocationCheckMode.Optional, 9)]
    [InlineData(RevocationCheckMode.Required, 9)]
    [InlineData(RevocationCheckMode.Optional, 3)]
    [InlineData(RevocationCheckMode.Required, 3)]
    public void Adding_one_partition_keeps_the_other_so_its_revocations_still_hold(RevocationCheckMode mode, int otherNumber)
    {
        using X509Certificate2 revokedInA = _lab.IssueClient("CN=Partition A Revoked", "pa@contoso.com", Now.AddDays(-1), Now.AddDays(30), PartitionA);
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, mode).WithCrls(_lab.RootCrl);
        RevocationLists.Add(configuration, CertificateRevocationList.Parse(PartitionCrl(_lab, 8, PartitionA, revokedInA)), force: false, Now);

        (_, RevocationListChange change) = RevocationLists.Add(configuration, CertificateRevocationList.Parse(PartitionCrl(_lab, otherNumber, PartitionB)), force: false, Now);
        // Partition A's distribution point is down: only the store can say that the certificate is revoked.
        CertificateValidationResult result = new CertificateValidator(configuration, new CrlCache(new PartitionSource())).Validate(revokedInA, Now);

        Assert.Equal(RevocationListChange.Added, change);
        Assert.Equal(3, configuration.RevocationLists.Count);
        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(result));
    }

    [Fact]
    public void A_newer_CRL_of_the_same_partition_still_replaces_the_stored_one()
    {
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab).WithCrls(_lab.RootCrl);
        RevocationLists.Add(configuration, CertificateRevocationList.Parse(PartitionCrl(_lab, 4, PartitionA)), force: false, Now);

        (_, RevocationListChange change) = RevocationLists.Add(configuration, CertificateRevocationList.Parse(PartitionCrl(_lab, 5, PartitionA)), force: false, Now);
        CasbCore.CasbException older = Assert.Throws<CasbCore.CasbException>(
            () => RevocationLists.Add(configuration, CertificateRevocationList.Parse(PartitionCrl(_lab, 2, PartitionA)), force: false, Now));

        Assert.Equal(RevocationListChange.Replaced, change);
        Assert.Equal(2, configuration.RevocationLists.Count);
        Assert.Equal("CrlOlderThanStored", older.ErrorId);
    }

    [Theory]
    [InlineData(RevocationCheckMode.Optional)]
    [InlineData(RevocationCheckMode.Required)]
    public void A_certificate_listed_in_a_CRL_scoped_to_some_reasons_is_revoked(RevocationCheckMode mode)
    {
        using X509Certificate2 compromised = _lab.IssueClient("CN=Key Compromised", "kc@contoso.com", Now.AddDays(-1), Now.AddDays(30));
        byte[] keyCompromiseOnly = ScopedCrl(_lab, 6, idp => idp.WriteBitString([0x80], 7, new Asn1Tag(TagClass.ContextSpecific, 3)), compromised);
        CasbConfiguration configuration = TestConfigurations.Trusting(_lab, mode).WithCrls(_lab.RootCrl, keyCompromiseOnly);

        CertificateValidationResult result = new CertificateValidator(configuration, new CrlCache(new PartitionSource())).Validate(compromised, Now);

        Assert.Equal(new[] { CertificateFailureReason.Revoked }, Reasons(result));
    }

    /// <summary>
    /// The scopes a CRL cannot vouch under (only some reasons, a partition named relative to the CRL issuer, indirect)
    /// are still each the only list of what they revoked: two that differ are kept side by side, whichever is added
    /// second; only one with the very same scope replaces the stored one (and carries what it revoked). Generated over pairs of such scopes.
    /// </summary>
    [Fact]
    public void Partial_CRLs_of_different_scopes_are_kept_side_by_side_and_their_revocations_hold()
    {
        var scopes = new (string Name, Action<AsnWriter> Write)[]
        {
            ("key compromise only", idp => idp.WriteBitString([0x40], 6, new Asn1Tag(TagClass.ContextSpecific, 3))),
            ("affiliation changed only", idp => idp.WriteBitString([0x10], 4, new Asn1Tag(TagClass.ContextSpecific, 3))),
            ("superseded only", idp => idp.WriteBitString([0x08], 3, new Asn1Tag(TagClass.ContextSpecific, 3))),
            ("relative name OU=One", RelativeName("One")),
            ("relative name OU=Two", RelativeName("Two")),
            ("indirect", idp => idp.WriteBoolean(true, new Asn1Tag(TagClass.ContextSpecific, 4))),
        };
        using X509Certificate2 revoked = _lab.IssueClient("CN=Partial Scope Revoked", "psr@contoso.com", Now.AddDays(-1), Now.AddDays(30));

        Gen.Select(Gen.Int[0, scopes.Length - 1], Gen.Int[0, scopes.Length - 1]).Sample((first, second) =>
        {
            CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Optional).WithCrls(_lab.RootCrl);
            RevocationLists.Add(configuration, CertificateRevocationList.Parse(ScopedCrl(_lab, 8, scopes[first].Write, revoked)), force: false, Now);

            (_, RevocationListChange change) = RevocationLists.Add(configuration, CertificateRevocationList.Parse(ScopedCrl(_lab, 9, scopes[second].Write)), force: false, Now);
            CertificateValidationResult result = new CertificateValidator(configuration, new CrlCache(new PartitionSource())).Validate(revoked, Now);

            string what = $"{scopes[first].Name} (listing the certificate), then {scopes[second].Name}";
            // Replaced or not, the revocation holds: a newer CRL of the same scope that no longer lists it carries it (RevocationListEntry.Retired).
            Assert.True((first == second ? RevocationListChange.Replaced : RevocationListChange.Added) == change, $"{what}: {change}");
            Assert.True(new[] { CertificateFailureReason.Revoked }.SequenceEqual(Reasons(result)), $"{what}: {string.Join(" ", result.Failures.Select(f => f.Message))}");
        }, iter: 40);
    }

    private static Action<AsnWriter> RelativeName(string unit) => idp =>
    {
        using (idp.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))   // distributionPoint
        using (idp.PushSetOf(new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true)))      // nameRelativeToCRLIssuer
        using (idp.PushSequence())
        {
            idp.WriteObjectIdentifier("2.5.4.11");
            idp.WriteCharacterString(UniversalTagNumber.UTF8String, unit);
        }
    };

    /// <summary>
    /// The neighbours: a stored CRL of every scope (whole issuer, either partition, only user or only CA certificates,
    /// only some reasons) against a leaf in either partition or in none, listed or not, with the distribution points
    /// down and revocation Required. Listed is revoked whatever the scope; silence vouches only where the CRL covers.
    /// </summary>
    [Fact]
    public void A_stored_CRL_vouches_only_for_what_its_scope_covers_and_its_listing_always_revokes()
    {
        string?[] points = { PartitionA, PartitionB, null };
        X509Certificate2[] leaves = points
            .Select((point, i) => _lab.IssueClient($"CN=Scope Leaf {i}", $"scope{i}@contoso.com", Now.AddDays(-1), Now.AddDays(30), point))
            .ToArray();
        var scopes = new (string Name, Action<AsnWriter>? Write, Func<string?, bool> Covers)[]
        {
            ("whole issuer", null, _ => true),
            ("partition A", DistributionPoint(PartitionA), point => point == PartitionA),
            ("partition B", DistributionPoint(PartitionB), point => point == PartitionB),
            ("only user certificates", idp => idp.WriteBoolean(true, new Asn1Tag(TagClass.ContextSpecific, 1)), _ => true),
            ("only CA certificates", idp => idp.WriteBoolean(true, new Asn1Tag(TagClass.ContextSpecific, 2)), _ => false),
            ("only some reasons", idp => idp.WriteBitString([0x80], 7, new Asn1Tag(TagClass.ContextSpecific, 3)), _ => false),
        };

        try
        {
            Gen.Select(Gen.Int[0, scopes.Length - 1], Gen.Int[0, leaves.Length - 1], Gen.Bool).Sample((scope, leaf, listed) =>
            {
                X509Certificate2[] revoked = listed ? new[] { leaves[leaf] } : Array.Empty<X509Certificate2>();
                byte[] crl = scopes[scope].Write is { } write
                    ? ScopedCrl(_lab, 10, write, revoked)
                    : TestConfigurations.IntermediateCrl(_lab, 10, Now.AddDays(7), null, revoked);
                CasbConfiguration configuration = TestConfigurations.Trusting(_lab, RevocationCheckMode.Required).WithCrls(_lab.RootCrl, crl);

                CertificateValidationResult result = new CertificateValidator(configuration, new CrlCache(new PartitionSource())).Validate(leaves[leaf], Now);

                CertificateFailureReason[] expected = listed ? new[] { CertificateFailureReason.Revoked }
                    : scopes[scope].Covers(points[leaf]) ? Array.Empty<CertificateFailureReason>()
                    : new[] { CertificateFailureReason.RevocationUnknown };
                Assert.True(
                    expected.SequenceEqual(Reasons(result)),
                    $"CRL of {scopes[scope].Name}, leaf in {points[leaf] ?? "no partition"}, listed {listed}: {string.Join(" ", result.Failures.Select(f => f.Message))}");
            }, iter: 60);
        }
        finally
        {
            foreach (X509Certificate2 leaf in leaves)
            {
                leaf.Dispose();
            }
        }
    }

    private static Action<AsnWriter> DistributionPoint(string uri) => idp =>
    {
        using (idp.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))   // distributionPoint
        using (idp.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))   // fullName
        {
            idp.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
        }
    };

    /// <summary>A CRL of the lab intermediate whose issuingDistributionPoint names <paramref name="distributionPoint"/>.</summary>
    internal static byte[] PartitionCrl(LabPki lab, int number, string distributionPoint, params X509Certificate2[] revoked) =>
        ScopedCrl(lab, number, DistributionPoint(distributionPoint), revoked);

    /// <summary>A CRL of the lab intermediate with an issuingDistributionPoint whose fields <paramref name="writeScope"/> writes.</summary>
    private static byte[] ScopedCrl(LabPki lab, int number, Action<AsnWriter> writeScope, params X509Certificate2[] revoked) =>
        TestPki.Crl(lab.IntermediateWithKey, number, Now.AddMinutes(-1), Now.AddDays(7), revoked, issuingDistributionPoint: writeScope);

    private sealed class PartitionSource : Dictionary<string, byte[]>, ICrlSource
    {
        public byte[] Fetch(Uri location, TimeSpan timeout) =>
            TryGetValue(location.AbsoluteUri, out byte[]? crl) ? crl : throw new HttpRequestException("connection refused (test)");
    }
}
