using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using CasbGateway.Configuration;

namespace CasbGateway.SignIn;

/// <summary>
/// Tells the options monitor to rebuild the OpenID Connect handler's options when a new revision changes the identity
/// provider (and only then: a policy change keeps the fetched metadata and signing keys).
/// </summary>
internal sealed class IdentityProviderChangeTokenSource : IOptionsChangeTokenSource<OpenIdConnectOptions>
{
    private readonly object _lock = new();
    private CancellationTokenSource _changed = new();
    private string? _fingerprint;

    public IdentityProviderChangeTokenSource(ConfigurationMonitor configuration)
    {
        _fingerprint = configuration.Current?.SignIn?.Fingerprint;
        configuration.Changed += OnChanged;
    }

    public string Name => SignInSchemes.OpenIdConnect;

    public IChangeToken GetChangeToken()
    {
        lock (_lock)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    private void OnChanged(EngineState state)
    {
        CancellationTokenSource previous;
        lock (_lock)
        {
            string? fingerprint = state.SignIn?.Fingerprint;
            if (fingerprint == _fingerprint)
            {
                return;
            }

            _fingerprint = fingerprint;
            previous = _changed;
            _changed = new CancellationTokenSource();
        }

        previous.Cancel();
    }
}
