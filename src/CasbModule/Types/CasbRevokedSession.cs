using CasbCore;
using CasbCore.SignIn;

namespace CasbModule.Types;

/// <summary>What Revoke-CasbSession -PassThru returns: the user whose gateway sessions signed in before <see cref="RevokedBefore"/> end.</summary>
public sealed class CasbRevokedSession
{
    internal CasbRevokedSession(EndedSessions.RevokedSessions revoked, string storePath)
    {
        UserName = DisplayText.Safe(revoked.UserName)!;
        RevokedBefore = revoked.RevokedBefore;
        StorePath = DisplayText.Safe(storePath)!;
    }

    /// <summary>The user name as it is compared (trimmed; case does not matter).</summary>
    public string UserName { get; }

    /// <summary>Every session of the user signed in before this time ends; a sign-in after it is a new, working session.</summary>
    public DateTimeOffset RevokedBefore { get; }

    public string StorePath { get; }
}
