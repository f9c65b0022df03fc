using System.Net;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Activity;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.Store;
using CasbModule.Tests.Certificates;
using CasbModule.Tests.Cmdlets;
using CasbModule.Types;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// One user, however the name is spelled: precomposed (NFC) or decomposed (NFD), U+212B ANGSTROM SIGN for Å, Hangul
/// jamo for a syllable, fullwidth letters, in any case. The gateway runs with invariant globalization, so nothing
/// normalizes by accident: a certificate's UPN, a policy's user list and a group's members must be compared in the
/// canonical form (trimmed, fullwidth letters mapped, NFC, case kept; equal ignoring case). Through a real gateway (block
/// page, activity record) and Test-CasbAccess, which must agree with it. Every spelling here is a literal with \u escapes:
/// string.Normalize is a no-op in an invariant process, and the tests must not depend on it.
/// </summary>
public sealed class UserNameSpellingTests : IClassFixture<LabPkiFixture>
{
    internal const string Browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
    internal const string BlockPolicy = "Block one account";
    internal const string BlockMessage = "This account may not open Sample App.";
    private const string Group = "Spanish office";

    private readonly LabPki _pki;

    public UserNameSpellingTests(LabPkiFixture fixture) => _pki = fixture.Pki;

    /// <summary>Where the policy names the user.</summary>
    public enum NamedIn
    {
        /// <summary>The access policy's Users.</summary>
        AccessPolicyUsers,

        /// <summary>The members of a group that the access policy names.</summary>
        GroupMembers,

        /// <summary>The conditional access policy's IncludeUsers: only that user goes through App Control, where a policy for everyone blocks.</summary>
        ConditionalAccessUsers,
    }

    /// <summary>
    /// Pairs of spellings of one user name: (label, one spelling, its canonical form, another spelling, its canonical
    /// form). The two canonical forms are equal ignoring case.
    /// </summary>
    internal static readonly (string Label, string A, string CanonicalA, string B, string CanonicalB)[] Pairs =
    [
        ("e-acute NFC/NFD", "Jos\u00e9@contoso.com", "Jos\u00e9@contoso.com", "Jose\u0301@contoso.com", "Jos\u00e9@contoso.com"),
        ("n-tilde NFC/NFD", "Mu\u00f1oz@contoso.com", "Mu\u00f1oz@contoso.com", "Mun\u0303oz@contoso.com", "Mu\u00f1oz@contoso.com"),
        ("A-ring U+00C5/U+212B", "\u00c5sa@contoso.com", "\u00c5sa@contoso.com", "\u212Bsa@contoso.com", "\u00c5sa@contoso.com"),
        ("A-ring U+212B/NFD lower case", "\u212Bsa@contoso.com", "\u00c5sa@contoso.com", "a\u030Asa@CONTOSO.com", "\u00e5sa@CONTOSO.com"),
        ("Hangul syllable/jamo", "\uAC00@contoso.com", "\uAC00@contoso.com", "\u1100\u1161@contoso.com", "\uAC00@contoso.com"),
        ("fullwidth letters", "john@contoso.com", "john@contoso.com", "\uFF4A\uFF4F\uFF48\uFF4E@contoso.com", "john@contoso.com"),
        ("fullwidth capitals, other case", "John@Contoso.com", "John@Contoso.com", "\uFF2A\uFF2F\uFF28\uFF2E@contoso.com", "JOHN@contoso.com"),
        ("e-acute NFC lower/NFD upper", "jos\u00e9@contoso.com", "jos\u00e9@contoso.com", "JOSE\u0301@CONTOSO.COM", "JOS\u00c9@CONTOSO.COM"),
    ];

    /// <summary>Each pair both ways: (label, the request's user: certificate UPN, identity header or -User; the name the policy is written with; the user the activity names).</summary>
    public static TheoryData<string, string, string, string> SpellingAndPolicy()
    {
        var data = new TheoryData<string, string, string, string>
        {
            // Controls: one spelling on both sides. The first passes today (the test's own machinery works); the second
            // is blocked today too, but the activity and what-if must name the user in NFC.
            { "control: the same NFC spelling", "Jos\u00e9@contoso.com", "Jos\u00e9@contoso.com", "Jos\u00e9@contoso.com" },
            { "control: the same NFD spelling", "Jose\u0301@contoso.com", "Jose\u0301@contoso.com", "Jos\u00e9@contoso.com" },
        };
        foreach (var (label, a, canonicalA, b, canonicalB) in Pairs)
        {
            data.Add($"{label}: user B, policy A", b, a, canonicalB);
            data.Add($"{label}: user A, policy B", a, b, canonicalA);
        }

        return data;
    }

    public static TheoryData<string, string, string, string, NamedIn> SpellingAndPolicyNamedIn()
    {
        var data = new TheoryData<string, string, string, string, NamedIn>();
        foreach (NamedIn where in new[] { NamedIn.AccessPolicyUsers, NamedIn.GroupMembers, NamedIn.ConditionalAccessUsers })
        {
            foreach (object[] row in SpellingAndPolicy())
            {
                data.Add((string)row[0], (string)row[1], (string)row[2], (string)row[3], where);
            }
        }

        return data;
    }

    /// <summary>
    /// A device certificate whose UPN is one spelling meets a policy written with another spelling of the same name: the
    /// gateway shows that policy's block page, the activity record names the user in the canonical form, and
    /// Test-CasbAccess -User with the certificate's spelling gives the same block, policy and message. The lab's own client
    /// certificate (another user) is allowed, so the block is the user's and no one else's.
    /// </summary>
    [Theory]
    [MemberData(nameof(SpellingAndPolicyNamedIn))]
    public async Task A_certificate_user_is_the_user_a_policy_names_in_another_spelling(
        string label, string certificateUpn, string policyUser, string expectedUser, NamedIn where)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Root, TrustedRootKind.Root));
            c.TrustedRoots.Add(TestConfigurations.Entry(_pki.Intermediate, TrustedRootKind.Intermediate));
            c.Settings.RevocationMode = RevocationCheckMode.None;
            NamePolicyUser(c, policyUser, where);
        });
        using X509Certificate2 certificate = DeviceCertificate(_pki, certificateUpn);

        (HttpStatusCode status, string page, string? correlationId) = await GetAsync(harness, certificate);
        (HttpStatusCode other, _, _) = await GetAsync(harness, _pki.Client);

        Assert.True(HttpStatusCode.Forbidden == status, $"{label} ({where}): the gateway answered {(int)status}, not the block page, to the certificate of {Escaped(certificateUpn)} under a policy naming {Escaped(policyUser)}");
        Assert.Contains($"<p class=\"message\">{BlockMessage}</p>", page);
        Assert.Equal(HttpStatusCode.OK, other);

        IReadOnlyList<ActivityRecord> records = await harness.WaitForActivityAsync(2);
        ActivityRecord record = Assert.Single(records, r => r.CorrelationId == correlationId);
        Assert.Equal("Block", record.Action);
        Assert.Equal(BlockPolicy, record.BlockingPolicy);
        Assert.Equal(UserSources.Certificate, record.UserSource);
        Assert.True(expectedUser == record.User, $"{label}: the activity names {Escaped(record.User)}, not {Escaped(expectedUser)}");

        using var powerShell = new PowerShellHost();
        CasbAccessDecision whatIf = WhatIf(powerShell, harness.StorePath, certificateUpn);
        Assert.Equal(AccessAction.Block, whatIf.Action);
        Assert.Equal(record.BlockingPolicy, whatIf.BlockingPolicy);
        Assert.Equal(BlockMessage, whatIf.BlockMessage);
        Assert.True(expectedUser == whatIf.User, $"{label}: Test-CasbAccess names {Escaped(whatIf.User)}, not {Escaped(expectedUser)}");
    }

    /// <summary>
    /// The identity header of a trusted sign-in proxy, sent as UTF-8 bytes (Kestrel reads header values as UTF-8, so a
    /// non-ASCII name does reach the gateway), in one spelling; the access policy names the user in another: the block
    /// page, the activity names the user in the canonical form (source IdentityHeader), and Test-CasbAccess -User agrees.
    /// </summary>
    [Theory]
    [MemberData(nameof(SpellingAndPolicy))]
    public async Task An_identity_header_user_is_the_user_a_policy_names_in_another_spelling(string label, string headerUser, string policyUser, string expectedUser)
    {
        await using GatewayHarness harness = await GatewayHarness.StartAsync(c =>
        {
            c.Settings.TrustedProxies.Add("127.0.0.0/8");
            NamePolicyUser(c, policyUser, NamedIn.AccessPolicyUsers);
        });

        RawResponse response = await RawHttps.SendAsync(
            harness.GatewayUrl, "/mail", [new("X-Casb-User", headerUser), new("User-Agent", Browser), new("Accept", "text/html")]);

        Assert.True(403 == response.Status, $"{label}: the gateway answered {response.Status}, not the block page, to the identity header {Escaped(headerUser)} under a policy naming {Escaped(policyUser)}");
        Assert.Contains($"<p class=\"message\">{BlockMessage}</p>", response.Body);
        ActivityRecord record = Assert.Single(await harness.WaitForActivityAsync(1));
        Assert.Equal(("Block", BlockPolicy, UserSources.IdentityHeader), (record.Action, record.BlockingPolicy, record.UserSource));
        Assert.True(expectedUser == record.User, $"{label}: the activity names {Escaped(record.User)}, not {Escaped(expectedUser)}");

        using var powerShell = new PowerShellHost();
        CasbAccessDecision whatIf = WhatIf(powerShell, harness.StorePath, headerUser);
        Assert.Equal((AccessAction.Block, BlockPolicy, BlockMessage), (whatIf.Action, whatIf.BlockingPolicy, whatIf.BlockMessage));
        Assert.True(expectedUser == whatIf.User, $"{label}: Test-CasbAccess names {Escaped(whatIf.User)}, not {Escaped(expectedUser)}");
    }

    /// <summary>
    /// Test-CasbAccess alone (a store, no gateway): every spelling of the name in -User gets the decision and policy the
    /// policy's own spelling gets, and the decision names the user in the canonical form; a different user is allowed.
    /// </summary>
    [Theory]
    [MemberData(nameof(SpellingAndPolicyNamedIn))]
    public void Test_CasbAccess_gives_every_spelling_of_a_user_the_same_decision(
        string label, string askedUser, string policyUser, string expectedUser, NamedIn where)
    {
        string folder = Directory.CreateTempSubdirectory("casb-spelling-").FullName;
        try
        {
            new CasbStore(folder).Update(c =>
            {
                c.Apps.Add(new AppEntry { Name = GatewayHarness.AppName, Upstream = "http://127.0.0.1:9", Hostnames = { "localhost" } });
                NamePolicyUser(c, policyUser, where);
            });
            using var powerShell = new PowerShellHost();

            CasbAccessDecision asWritten = WhatIf(powerShell, folder, policyUser);
            CasbAccessDecision asked = WhatIf(powerShell, folder, askedUser);
            CasbAccessDecision stranger = WhatIf(powerShell, folder, "someone.else@contoso.com");

            Assert.Equal(AccessAction.Block, asWritten.Action);
            Assert.True(AccessAction.Block == asked.Action, $"{label} ({where}): -User {Escaped(askedUser)} is {asked.Action}, while the policy's own spelling {Escaped(policyUser)} is Block");
            Assert.Equal(asWritten.BlockingPolicy, asked.BlockingPolicy);
            Assert.Equal(asWritten.BlockMessage, asked.BlockMessage);
            Assert.Equal(asWritten.UnderAppControl, asked.UnderAppControl);
            Assert.True(expectedUser == asked.User, $"{label}: Test-CasbAccess names {Escaped(asked.User)}, not {Escaped(expectedUser)}");
            Assert.Equal(AccessAction.Allow, stranger.Action);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The store's policies: <see cref="BlockPolicy"/> blocks <paramref name="user"/> (named where <paramref name="where"/> says) in Sample App, for browsers.</summary>
    internal static void NamePolicyUser(CasbConfiguration c, string user, NamedIn where)
    {
        var conditionalAccess = new ConditionalAccessPolicyEntry
        {
            Name = "Through App Control",
            Apps = { GatewayHarness.AppName },
            SessionControl = SessionControlKind.AppControl,
            AppControlMode = AppControlMode.UseCustomPolicy,
        };
        var block = new AccessPolicyEntry
        {
            Name = BlockPolicy,
            Action = AccessPolicyAction.Block,
            BlockMessage = BlockMessage,
            Apps = { GatewayHarness.AppName },
            Severity = PolicySeverity.High,
        };
        switch (where)
        {
            case NamedIn.AccessPolicyUsers:
                conditionalAccess.IncludeUsers.Add("All");
                block.Users.Add(user);
                break;
            case NamedIn.GroupMembers:
                conditionalAccess.IncludeUsers.Add("All");
                c.Groups.Add(new GroupEntry { Name = Group, Members = { user }, CreatedAt = DateTimeOffset.UtcNow });
                block.Groups.Add(Group);
                break;
            case NamedIn.ConditionalAccessUsers:
                conditionalAccess.IncludeUsers.Add(user);
                break;
        }

        c.ConditionalAccessPolicies.Add(conditionalAccess);
        c.AccessPolicies.Add(block);
    }

    internal static CasbAccessDecision WhatIf(PowerShellHost powerShell, string store, string user, object? claims = null)
    {
        var (output, errors) = powerShell.Run(
            claims is null
                ? "Test-CasbAccess -StorePath $store -App $app -UserAgent $agent -User $user"
                : "Test-CasbAccess -StorePath $store -App $app -UserAgent $agent -Claims $claims",
            new Dictionary<string, object?>
            {
                ["store"] = store, ["app"] = GatewayHarness.AppName, ["agent"] = Browser, ["user"] = user, ["claims"] = claims,
            });
        Assert.Empty(errors);
        return (CasbAccessDecision)Assert.Single(output).BaseObject;
    }

    /// <summary>
    /// A device certificate from the lab intermediate whose UPN SAN (a UTF8String) is <paramref name="upn"/>, and no e-mail
    /// SAN: LabPki.IssueClient also writes the UPN as an e-mail name, an IA5String, which cannot hold a non-ASCII name.
    /// </summary>
    internal static X509Certificate2 DeviceCertificate(LabPki pki, string upn) =>
        TestPki.Issue(new CertificateSpec { Subject = "CN=Spelling Device, O=Fabrikam", Upn = upn, Key = TestKey.P256 }, pki.IntermediateWithKey);

    /// <summary>A name with every character outside printable ASCII as \uXXXX, so that a failure message shows which spelling it is.</summary>
    internal static string Escaped(string? name) =>
        name is null ? "(nobody)" : "'" + string.Concat(name.Select(ch => ch is >= ' ' and <= '~' ? ch.ToString() : $"\\u{(int)ch:X4}")) + "'";

    private static async Task<(HttpStatusCode Status, string Body, string? CorrelationId)> GetAsync(GatewayHarness harness, X509Certificate2 certificate)
    {
        using HttpClient client = harness.CreateClient(certificate);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/mail");
        request.Headers.TryAddWithoutValidation("User-Agent", Browser);
        request.Headers.TryAddWithoutValidation("Accept", "text/html");
        using HttpResponseMessage response = await client.SendAsync(request);
        string? correlationId = response.Headers.TryGetValues(CasbGateway.Enforcement.ResponsePages.CorrelationHeader, out var values) ? values.First() : null;
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), correlationId);
    }
}
