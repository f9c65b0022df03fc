using CasbCore.Certificates;
using CasbTestIdentityProvider;

namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>One lab PKI and one running test identity provider for a test class (key generation and start-up are the slow part).</summary>
public sealed class SignInFixture : IAsyncLifetime
{
    public LabPki Lab { get; } = LabPki.Create();

    public TestIdentityProvider Idp { get; private set; } = null!;

    public async Task InitializeAsync() => Idp = await TestIdentityProvider.StartAsync(SignInHarness.IdpOptions);

    public async Task DisposeAsync()
    {
        await Idp.DisposeAsync();
        Lab.Dispose();
    }
}
