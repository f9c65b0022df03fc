using System.Management.Automation;
using CasbCore.Model;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the OpenID Connect identity provider the gateway signs users in with.</para>
/// <para type="description">Returns the store's identity provider: authority, client id, which client credential is configured (Secret or Certificate; its value is never shown), scopes, the claims that name the user and list the groups, the session lifetime, and when its discovery document was last checked. Returns nothing when the store has none.</para>
/// </summary>
/// <example>
/// <code>Get-CasbIdentityProvider</code>
/// <para>Shows the identity provider of the default store.</para>
/// </example>
/// <example>
/// <code>(Get-CasbIdentityProvider -StorePath ./lab-store).SessionLifetime</code>
/// <para>Reads how long a gateway session lasts.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CasbIdentityProvider")]
[OutputType(typeof(CasbIdentityProvider))]
public sealed class GetCasbIdentityProviderCommand : CasbStoreCmdlet
{
    protected override void EndProcessing()
    {
        CasbConfiguration configuration = LoadConfiguration();
        if (configuration.IdentityProvider is { } provider)
        {
            WriteObject(new CasbIdentityProvider(provider, Store.Location, configuration.Revision));
        }
    }
}
