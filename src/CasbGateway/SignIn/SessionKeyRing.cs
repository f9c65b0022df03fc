using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace CasbGateway.SignIn;

/// <summary>
/// Gives the store's data-protection key ring an active key before the gateway serves, deciding behind the store's
/// <see cref="IKeyRingGate"/>. Without it, gateways that start together on an empty folder each create a key of their
/// own at their first sign-in (ASP.NET Core's known race), and once their key rings are cached a session cookie one
/// replica issued is not read by another: ASP.NET Core re-reads the ring for an unknown key only in the first minutes
/// after a start. Later keys are made by ASP.NET Core's rotation, 48 hours before they become active, which every
/// replica reads in time.
/// </summary>
internal sealed class SessionKeyRing
{
    private readonly IKeyManager _keys;
    private readonly KeyManagementOptions _options;
    private readonly IKeyRingGate _gate;

    public SessionKeyRing(IKeyManager keys, IOptions<KeyManagementOptions> options, IKeyRingGate gate)
    {
        _keys = keys;
        _options = options.Value;
        _gate = gate;
    }

    /// <summary>Creates a key active now unless the store has one; true when this call created it.</summary>
    public bool EnsureActiveKey()
    {
        if (HasActiveKey())
        {
            return false;
        }

        using IDisposable gate = _gate.Enter(HasActiveKey);
        // Read again behind the gate: a replica that passed it first may have just written the key.
        if (HasActiveKey())
        {
            return false;
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        _keys.CreateNewKey(now, now + _options.NewKeyLifetime);
        return true;
    }

    private bool HasActiveKey()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return _keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now);
    }
}
