using System.Text.Json;
using System.Text.RegularExpressions;
using CasbCore.Certificates;
using CasbCore.Model;
using CasbCore.Policies;
using CasbGateway.Enforcement;
using CasbModule.Tests.Browser;
using CsCheck;

namespace CasbModule.Tests.Gateway;

public sealed class ResponsePagesTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static readonly BlockDetail ExpiredDetail = new(
        "Expired", "Your device certificate expired on 1 December 2025. Ask your helpdesk for a new one.",
        "CN=Expired Device, O=Fabrikam", new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void The_block_page_encodes_the_message_and_the_app_name()
    {
        string html = ResponsePages.RenderHtml("Access blocked", "<script>alert('x')</script>", "App \"<x>\"", "abc123", At);

        Assert.DoesNotContain("<script>alert", html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html);
        Assert.Contains("App &quot;&lt;x&gt;&quot;", html);
        Assert.Contains("abc123", html);
        Assert.Contains("2026-01-02 03:04:05 UTC", html);
    }

    [Fact]
    public void The_only_script_on_the_page_is_the_copy_script_the_content_security_policy_allows_by_hash()
    {
        string html = ResponsePages.RenderHtml("Access blocked", "m", "app", "id", At, ExpiredDetail);

        Assert.Equal(1, Count(html, "<script"));
        Assert.Contains("<script>" + ResponsePages.CopyScript + "</script>", html);
        string hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ResponsePages.CopyScript)));
        Assert.Contains($"script-src 'sha256-{hash}'", ResponsePages.HtmlContentSecurityPolicy);
        Assert.StartsWith("default-src 'none';", ResponsePages.HtmlContentSecurityPolicy);
        Assert.DoesNotContain("http", html.Replace("https://", "", StringComparison.Ordinal).Replace("http-equiv", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void With_a_reason_the_page_says_why_with_the_certificate_subject_and_expiry_and_the_copy_block_carries_the_reason_code()
    {
        string html = ResponsePages.RenderHtml("Access blocked", "Use a company device.", "Sample App", "corr-1", At, ExpiredDetail);

        Assert.Contains("<h2 id=\"why\">Why you see this page</h2>", html);
        Assert.Contains("<p class=\"reason-text\">Your device certificate expired on 1 December 2025. Ask your helpdesk for a new one.</p>", html);
        Assert.Contains("<dd class=\"certificate-subject\">CN=Expired Device, O=Fabrikam</dd>", html);
        Assert.Contains("<dt>Expired</dt><dd class=\"certificate-not-after\">2025-12-01 00:00:00 UTC</dd>", html);
        string copy = Between(html, "<textarea id=\"details\" class=\"copy-details\" readonly rows=\"", "</textarea>");
        Assert.Contains("Reason: Expired", copy);
        Assert.Contains("Correlation ID: corr-1", copy);
        Assert.Contains("App: Sample App", copy);
        Assert.Contains("Certificate: CN=Expired Device, O=Fabrikam", copy);
        Assert.Contains("Valid until: 2025-12-01 00:00:00 UTC", copy);
    }

    [Fact]
    public void Without_a_reason_the_page_has_no_why_section_and_the_copy_block_no_reason()
    {
        string html = ResponsePages.RenderHtml("Access blocked", "Use a company device.", "Sample App", "corr-1", At);

        Assert.DoesNotContain("id=\"why\"", html);
        Assert.DoesNotContain("Reason:", html);
        Assert.Contains("<dd class=\"correlation-id\">corr-1</dd>", html);
    }

    [Fact]
    public void The_JSON_answer_carries_the_reason_code_and_words_only_when_there_is_a_reason()
    {
        using JsonDocument with = JsonDocument.Parse(ResponsePages.RenderJson("access_blocked", "m", "Sample App", "c", ExpiredDetail));
        Assert.Equal("Expired", with.RootElement.GetProperty("reason").GetString());
        Assert.Equal(ExpiredDetail.Explanation, with.RootElement.GetProperty("reasonText").GetString());

        using JsonDocument without = JsonDocument.Parse(ResponsePages.RenderJson("access_blocked", "m", "Sample App", "c"));
        Assert.False(without.RootElement.TryGetProperty("reason", out _));
        Assert.False(without.RootElement.TryGetProperty("reasonText", out _));
        Assert.Equal("Sample App", without.RootElement.GetProperty("app").GetString());
    }

    /// <summary>
    /// No input can add markup: whatever the message, app, correlation id and certificate subject hold, the page has
    /// exactly the tags (every '&lt;') and attribute quotes of the same page built from harmless text.
    /// </summary>
    [Fact]
    public void No_input_adds_markup_to_the_page()
    {
        Gen<string> text = Gen.OneOf(
            Gen.String,
            Gen.String[Gen.Char['\0', '\uFFFF'], 0, 40],
            Gen.OneOf<string>("<script>alert(1)</script>", "</textarea><img src=x onerror=alert(1)>", "\"' onmouseover=\"x", "&lt;b&gt;", "]]>", "<!--", "\u202Egnp.exe"));
        Gen.Select(text, text, text, text, Gen.Bool).Sample((message, app, correlationId, subject, withSubject) =>
        {
            BlockDetail detail = ExpiredDetail with { CertificateSubject = withSubject ? subject : null, Explanation = subject };
            string html = ResponsePages.RenderHtml("Access blocked", message, app, correlationId, At, detail);
            string baseline = ResponsePages.RenderHtml(
                "Access blocked", "m", app.Length == 0 ? "" : "a", "c", At, detail with { CertificateSubject = withSubject ? "s" : null, Explanation = "e" });
            return Count(html, "<") == Count(baseline, "<") && Count(html, "\"") == Count(baseline, "\"") && Count(html, "'") == Count(baseline, "'");
        });
    }

    private static int Count(string text, string what)
    {
        int count = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string Between(string text, string start, string end)
    {
        int from = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"'{start}' not found");
        from += start.Length;
        return text[from..text.IndexOf(end, from, StringComparison.Ordinal)];
    }
}

/// <summary>Every reason the validator can give has words a blocked person understands, and they give nothing away.</summary>
public sealed class BlockReasonTextTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<CertificateFailureReason> Reasons() => new(Enum.GetValues<CertificateFailureReason>());

    [Theory]
    [MemberData(nameof(Reasons))]
    public void Every_failure_reason_has_plain_words(CertificateFailureReason reason)
    {
        string? words = BlockReasonText.Describe(reason, Certificate(reason));

        Assert.False(string.IsNullOrWhiteSpace(words), $"{reason} has no words on the block page: add them to BlockReasonText.Describe.");
        Assert.NotEqual(BlockReasonText.Fallback, words);
        Assert.EndsWith(".", words);
        Assert.DoesNotContain(reason.ToString(), words, StringComparison.Ordinal);
    }

    /// <summary>
    /// docs/browsers.md quotes each reason's words so that an admin knows what a blocked person reads; words changed
    /// here and not there leave the admin quoting a page nobody sees. Each row (up to its "...", without its "(or: ...)"
    /// aside) must be how the page's text begins, for every reason, with the dates the table shows.
    /// </summary>
    [Fact]
    public void The_table_in_docs_browsers_md_quotes_the_words_the_page_shows()
    {
        string doc = File.ReadAllText(Path.Combine(BrowserEnvironment.RepositoryRoot, "docs", "browsers.md"));
        Dictionary<string, string> rows = Regex.Matches(doc, @"^\| (?<code>[A-Za-z]+) \| (?<words>.+?) \|\s*$", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups["code"].Value, m => m.Groups["words"].Value);

        foreach (CertificateFailureReason reason in Enum.GetValues<CertificateFailureReason>())
        {
            Assert.True(rows.TryGetValue(reason.ToString(), out string? quoted), $"docs/browsers.md has no row for {reason}.");
            string begins = Regex.Replace(quoted, @"\s*\(or: [^)]*\)", "").Replace(" ...", "", StringComparison.Ordinal).TrimEnd();
            CertificateValidationResult certificate = reason == CertificateFailureReason.NotYetValid
                ? Certificate(reason, notBefore: At.AddDays(3))
                : Certificate(reason);
            string shown = BlockReasonText.Describe(reason, certificate)!;
            Assert.True(shown.StartsWith(begins, StringComparison.Ordinal),
                $"docs/browsers.md says {reason} reads \"{begins}\"; the page says \"{shown}\".");
        }

        Assert.Contains($"| (a reason this gateway has no words for) | {BlockReasonText.Fallback} |", doc, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_reason_has_no_words_of_its_own_and_the_page_falls_back_to_a_safe_sentence()
    {
        var unknown = (CertificateFailureReason)10_000;
        Assert.Null(BlockReasonText.Describe(unknown));

        BlockDetail? detail = BlockDetail.For(Decision(Certificate(unknown), blockedOnDeviceTags: true), BlockPageDetail.Reason);
        Assert.NotNull(detail);
        Assert.Equal(BlockReasonText.Fallback, detail.Explanation);
        Assert.Equal("10000", detail.ReasonCode);
    }

    [Fact]
    public void Expired_and_not_yet_valid_name_the_certificate_date_or_say_that_a_CA_is_the_cause()
    {
        CertificateValidationResult expired = Certificate(CertificateFailureReason.Expired);
        Assert.Equal("Your device certificate expired on 1 November 2026. Ask your helpdesk for a new one.", BlockReasonText.Describe(CertificateFailureReason.Expired, expired));

        CertificateValidationResult caExpired = Certificate(CertificateFailureReason.Expired, notAfter: At.AddDays(30));
        Assert.StartsWith("A certificate that your device certificate depends on has expired.", BlockReasonText.Describe(CertificateFailureReason.Expired, caExpired));

        CertificateValidationResult early = Certificate(CertificateFailureReason.NotYetValid, notBefore: At.AddDays(3));
        Assert.StartsWith("Your device certificate is not valid until 2 December 2026.", BlockReasonText.Describe(CertificateFailureReason.NotYetValid, early));
    }

    [Fact]
    public void The_detail_is_shown_only_for_a_device_tag_block_of_an_invalid_certificate_and_only_when_the_admin_allows_it()
    {
        CertificateValidationResult expired = Certificate(CertificateFailureReason.Expired);
        Assert.NotNull(BlockDetail.For(Decision(expired, blockedOnDeviceTags: true), BlockPageDetail.Reason));
        Assert.Null(BlockDetail.For(Decision(expired, blockedOnDeviceTags: true), BlockPageDetail.None));
        Assert.Null(BlockDetail.For(Decision(expired, blockedOnDeviceTags: false), BlockPageDetail.Reason));
        Assert.Null(BlockDetail.For(Decision(PolicyValid(), blockedOnDeviceTags: true), BlockPageDetail.Reason));

        BlockDetail none = BlockDetail.For(Decision(CertificateValidationResult.None(At), blockedOnDeviceTags: true), BlockPageDetail.Reason)!;
        Assert.Equal("NoCertificate", none.ReasonCode);
        Assert.Null(none.CertificateSubject);
    }

    private static CertificateValidationResult PolicyValid() => new()
    {
        IsValid = true, Subject = "CN=Device", Issuer = "CN=CA", Thumbprint = "00", ValidatedAt = At,
    };

    private static CertificateValidationResult Certificate(CertificateFailureReason reason, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null) => new()
    {
        IsValid = false,
        Subject = "CN=Device, O=Fabrikam",
        Issuer = "CN=Some CA",
        Thumbprint = "00112233445566778899AABBCCDDEEFF00112233",
        NotBefore = notBefore ?? At.AddDays(-60),
        NotAfter = notAfter ?? (reason == CertificateFailureReason.Expired ? new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero) : At.AddDays(300)),
        ValidatedAt = At,
        Failures = [new CertificateFailure(reason, "internal detail: trusted root 'CN=Secret Root' policy 'Internal'")],
    };

    private static AccessDecision Decision(CertificateValidationResult certificate, bool blockedOnDeviceTags) => new()
    {
        Action = AccessAction.Block,
        App = "Sample App",
        Certificate = certificate,
        BlockingPolicy = "Internal",
        BlockMessage = "Use a company device.",
        BlockedOnDeviceTags = blockedOnDeviceTags,
        At = At,
    };
}
