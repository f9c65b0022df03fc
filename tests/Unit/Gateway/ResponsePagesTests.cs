using CasbGateway.Enforcement;

namespace CasbModule.Tests.Gateway;

public sealed class ResponsePagesTests
{
    [Fact]
    public void The_block_page_encodes_the_message_and_the_app_name()
    {
        string html = ResponsePages.RenderHtml(
            "Access blocked", "<script>alert('x')</script>", "App \"<x>\"", "abc123", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html);
        Assert.Contains("App &quot;&lt;x&gt;&quot;", html);
        Assert.Contains("abc123", html);
        Assert.Contains("2026-01-02 03:04:05 UTC", html);
    }
}
