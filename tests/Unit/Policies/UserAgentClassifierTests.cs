using CasbCore.Model;
using CasbCore.Policies;

namespace CasbModule.Tests.Policies;

public sealed class UserAgentClassifierTests
{
    [Theory]
    [InlineData("Edge (Windows)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")]
    [InlineData("Chrome (Windows)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")]
    [InlineData("Firefox (Windows)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0")]
    [InlineData("Firefox (Linux)", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")]
    [InlineData("Safari (macOS)", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15")]
    [InlineData("Safari (iOS)", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")]
    [InlineData("Chrome (iOS)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1")]
    [InlineData("Firefox (iOS)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/132.0 Mobile/15E148 Safari/605.1.15")]
    [InlineData("Chrome (Android)", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")]
    [InlineData("Edge (Android)", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0")]
    [InlineData("Samsung Internet", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36")]
    [InlineData("Opera", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0")]
    [InlineData("Internet Explorer 11", "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko")]
    public void Real_browsers_are_Browser(string browser, string userAgent)
    {
        Assert.True(UserAgentClassifier.Classify(userAgent) == ClientAppType.Browser, $"{browser} should be a browser.");
    }

    [Theory]
    [InlineData("curl", "curl/8.5.0")]
    [InlineData("Wget", "Wget/1.21.4")]
    [InlineData("PowerShell 7 Invoke-WebRequest (Windows)", "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.22631; en-US) PowerShell/7.4.6")]
    [InlineData("PowerShell 7 Invoke-WebRequest (Linux)", "Mozilla/5.0 (Linux; Ubuntu 24.04.1 LTS; en-US) PowerShell/7.6.9")]
    [InlineData("Windows PowerShell 5.1", "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.22621.4391")]
    [InlineData("Outlook desktop", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)")]
    [InlineData("Office (compatible)", "Mozilla/4.0 (compatible; ms-office; MSOffice 16)")]
    [InlineData("new Outlook (WebView2)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0 OneOutlook/1.2024.1113.300")]
    [InlineData("OneDrive sync", "Microsoft SkyDriveSync 24.201.1006.0005 ship; Windows NT 10.0 (22631)")]
    [InlineData("Teams classic (Electron)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Teams/1.7.00.13456 Chrome/108.0.5359.215 Electron/22.3.27 Safari/537.36")]
    [InlineData("Teams (WebView2)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0 Teams/24295.605.3225.8804/49")]
    [InlineData("Slack (Electron)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.97 Chrome/130.0.6723.59 Electron/33.0.2 Safari/537.36 Sonic Slack_SSB/4.41.97")]
    [InlineData("Android WebView", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/128.0.6613.127 Mobile Safari/537.36")]
    [InlineData("iOS WKWebView", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148")]
    [InlineData("python-requests", "python-requests/2.32.3")]
    [InlineData("Go", "Go-http-client/2.0")]
    [InlineData("okhttp", "okhttp/4.12.0")]
    [InlineData("crawler", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")]
    [InlineData("empty", "")]
    [InlineData("white space", "   ")]
    public void Everything_else_is_MobileAndDesktop(string client, string userAgent)
    {
        Assert.True(UserAgentClassifier.Classify(userAgent) == ClientAppType.MobileAndDesktop, $"{client} should be MobileAndDesktop.");
    }

    [Fact]
    public void A_missing_user_agent_is_MobileAndDesktop()
    {
        Assert.Equal(ClientAppType.MobileAndDesktop, UserAgentClassifier.Classify(null));
    }
}
