using System.Management.Automation;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.SignIn;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Ends every gateway session of a user, on every gateway of the store.</para>
/// <para type="description">Ends each named user's gateway sessions signed in before now, whichever identity provider signed them in: every gateway of the store refuses their session cookies as if there were none (a page load goes to the identity provider to sign in, an API call is 401 sign_in_required). A sign-in afterwards is a new session that works. "Before now" is not read from any clock: the admin's PowerShell, each gateway and the database keep their own time, and a gateway a minute ahead of this machine would otherwise keep the sessions it signed in during the minute before the revocation. A session ends when the gateway that signed it in had not read this revocation at its sign-in (a gateway reads the list again at each sign-in); so a sign-in in the few milliseconds between this write and that read is ended too, and its user signs in once more. RevokedBefore is this machine's clock, for the record only. Sessions signed in by gateways older than this rule still compare their issue time, by the clock of the gateway that signed them in, with RevokedBefore. The user is the session's user as enforcement reads it (the identity provider's UserClaim), compared as policies compare user names: trimmed, case-insensitive. The revocation is written to the store's list of ended sessions (sessions/ended.json), which gateways read at their next poll of the store (a PostgreSQL store tells them at once), and is kept until the longest session issued before it would have expired (30 days, the longest -SessionLifetimeMinutes allows) plus 5 minutes. A store without an identity provider gets a warning: no session can be signed in then, and the revocation is recorded anyway. A user name with a control, bidi or lone surrogate character is refused (InvalidName, for that user only). When the list cannot be written (StoreConflict: other sign-outs kept changing it; EndedSessionsInvalid: it does not parse), nothing is written for that user and the cmdlet stops. Writes nothing unless -PassThru, which returns a CasbRevokedSession (UserName, RevokedBefore, StorePath) per user. Gateways older than this cmdlet keep the entry but do not refuse the sessions.</para>
/// </summary>
/// <example>
/// <code>Revoke-CasbSession -UserName vendor1@fabrikam.com</code>
/// <para>Signs vendor1 out of every gateway of the store; the next request of any of their browsers signs in again.</para>
/// </example>
/// <example>
/// <code>Get-CasbGroup Vendors | Select-Object -ExpandProperty Members | Revoke-CasbSession -PassThru -Confirm:$false</code>
/// <para>Ends the sessions of every member of the store's group Vendors, and lists each user with the time before which their sessions ended.</para>
/// </example>
// ConfirmImpact High: every session of the user ends on every gateway at once, and it cannot be undone (only a new sign-in
// gives the user a session again), like Remove-CasbIdentityProvider, which also ends sessions.
[Cmdlet(VerbsSecurity.Revoke, "CasbSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CasbRevokedSession))]
public sealed class RevokeCasbSessionCommand : CasbStoreCmdlet
{
    private bool _warned;

    /// <summary><para>The users whose sessions end, as the identity provider names them (its UserClaim: upn, preferred_username or email).</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ValidateNotWhiteSpace]
    [ArgumentCompleter(typeof(GroupMemberCompleter))]
    public string[] UserName { get; set; } = [];

    /// <summary><para>Returns a CasbRevokedSession per user: UserName and RevokedBefore.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string user in UserName)
        {
            try
            {
                // Before anything else: a name with a control character would be recorded and end nobody's sessions.
                ItemNames.ThrowIfUnfit(user, "The user name");
            }
            catch (CasbException ex)
            {
                WriteCasbError(ex); // this user only: the others of the pipeline are still revoked
                continue;
            }

            string name = UserNames.Canonical(user);
            if (!ShouldProcess($"User '{name}' in '{Store.Location}'", "Revoke every gateway session signed in before now"))
            {
                continue;
            }

            WarnWithoutIdentityProvider();
            try
            {
                EndedSessions.RevokedSessions revoked = EndedSessions.RevokeUser(Store, name, DateTimeOffset.UtcNow);
                WriteVerbose($"Sessions of '{revoked.UserName}' signed in before {revoked.RevokedBefore:O} ended in '{Store.Location}' ({EndedSessions.BlobName}).");
                if (PassThru)
                {
                    WriteObject(new CasbRevokedSession(revoked, Store.Location));
                }
            }
            catch (CasbException ex)
            {
                // The list is shared by every user of this call: if it cannot be written for one, it cannot for the next.
                ThrowCasbError(ex);
            }
        }
    }

    /// <summary>Revoking with no identity provider is harmless (nobody can be signed in), but likely not what the admin meant.</summary>
    private void WarnWithoutIdentityProvider()
    {
        if (_warned)
        {
            return;
        }

        _warned = true;
        if (LoadConfiguration().IdentityProvider is null)
        {
            WriteWarning($"The store '{Store.Location}' has no identity provider: no gateway signs users in, so there is no session to end. The revocation is recorded anyway.");
        }
    }
}
