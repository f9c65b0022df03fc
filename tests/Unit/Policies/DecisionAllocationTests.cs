using CasbCore;
using CasbCore.Certificates;
using CasbCore.Policies;

namespace CasbModule.Tests.Policies;

/// <summary>
/// The allocation guard of the decision path (issue 8): an allowed request whose certificate result is already at
/// hand (the validator caches it per revision) allocates nothing, whatever the number of policies. Counted with
/// GC.GetAllocatedBytesForCurrentThread around warmed-up calls: deterministic, not timed.
/// </summary>
public sealed class DecisionAllocationTests
{
    private const int Calls = 1000;

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(1000)]
    public void An_allowed_decision_with_a_cached_certificate_allocates_nothing(int policies)
    {
        var engine = new CasbEngine(ScaleConfiguration.Create(policies));
        CertificateValidationResult certificate = ScaleConfiguration.ValidCertificate;
        AccessRequest byHost = ScaleConfiguration.AllowedRequest;
        var byName = new AccessRequest
        {
            AppName = "App 3",
            User = "user17@contoso.com",
            UserAgent = byHost.UserAgent,
            ClientAddress = byHost.ClientAddress,
            At = byHost.At,
        };

        foreach (AccessRequest request in new[] { byHost, byName })
        {
            AccessDecision first = engine.Decide(request, certificate);
            // The path under guard: App Control applies, so the access policies were evaluated, and none blocked.
            Assert.Equal(AccessAction.Allow, first.Action);
            Assert.True(first.UnderAppControl);
            Assert.Equal("App 3", first.App);

            long allocated = AllocatedByDeciding(engine, request, certificate, out AccessAction last);

            Assert.Equal(AccessAction.Allow, last);
            Assert.True(allocated == 0, $"{Calls} decisions at {policies} policies ({(request.AppName is null ? "by host" : "by name")}) allocated {allocated} bytes.");
        }
    }

    [Fact]
    public void A_blocked_decision_is_also_made_without_allocating()
    {
        var engine = new CasbEngine(ScaleConfiguration.Create(1000));
        CertificateValidationResult none = CertificateValidationResult.None(ScaleConfiguration.At);
        AccessRequest request = ScaleConfiguration.BlockedRequest;
        Assert.Equal(AccessAction.Block, engine.Decide(request, none).Action);

        long allocated = AllocatedByDeciding(engine, request, none, out AccessAction last);

        Assert.Equal(AccessAction.Block, last);
        Assert.Equal(0, allocated);
    }

    private static long AllocatedByDeciding(CasbEngine engine, AccessRequest request, CertificateValidationResult certificate, out AccessAction last)
    {
        // Warm up: tiered compilation and the per-revision User-Agent cache.
        for (int i = 0; i < 200; i++)
        {
            engine.Decide(request, certificate);
        }

        last = default;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Calls; i++)
        {
            last = engine.Decide(request, certificate).Action;
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
