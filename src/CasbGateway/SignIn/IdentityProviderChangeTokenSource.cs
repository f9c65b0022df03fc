using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using CasbGateway.Configuration;

namespace CasbGateway.SignIn;

/// <summary>
/// Tells the options monitor to rebuild the OpenID Connect handler's options when a new revision changes the identity
/// provider (and only then: a policy change keeps the fetched metadata and signing keys). Told by the configuration
/// monitor after each swap, and by every sign-in challenge before it reads the options (<see cref="Follow"/>): between
/// the swap and the monitor's event a request already decided on the new revision (its old session names nobody any
/// more) could otherwise be sent to the provider with the old client id.
/// </summary>
internal sealed class IdentityProviderChangeTokenSource : IOptionsChangeTokenSource<OpenIdConnectOptions>
{
    private readonly object _lock = new();
    private readonly ConfigurationMonitor _configuration;
    private CancellationTokenSource _changed = new();
    private string? _fingerprint;

    public IdentityProviderChangeTokenSource(ConfigurationMonitor configuration)
    {
        _fingerprint = configuration.Current?.SignIn?.Fingerprint;
        _configuration = configuration;
        configuration.Changed += Follow;
    }

    public string Name => SignInSchemes.OpenIdConnect;

    public IChangeToken GetChangeToken()
    {
        lock (_lock)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    /// <summary>Before a challenge: the options follow the revision being served now.</summary>
    public void FollowServed()
    {
        if (_configuration.Current is { } state)
        {
            Follow(state);
        }
    }

    private void Follow(EngineState state)
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
