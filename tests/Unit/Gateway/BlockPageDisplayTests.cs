using CasbGateway.Enforcement;

namespace CasbModule.Tests.Gateway;

public sealed class BlockPageDisplayTests
{
    [Fact]
    public void The_block_page_shows_control_and_bidi_characters_escaped()
    {
        string html = ResponsePages.RenderHtml(
            "Access blocked", "Use a company device.\u001b[2J\u202e", "Payroll\u009b31m", "abc\r\n123", DateTimeOffset.UnixEpoch);

        Assert.DoesNotContain('\u001b', html);
        Assert.DoesNotContain('\u202e', html);
        Assert.DoesNotContain('\u009b', html);
        Assert.DoesNotContain('\r', html);
        Assert.Contains("Use a company device.\\x1b[2J\\u202e", html);
        Assert.Contains("Payroll\\x9b31m", html);
        Assert.Contains("abc\\r\\n123", html);
    }
}
