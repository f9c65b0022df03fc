using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.SignIn;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes the OpenID Connect identity provider, with its client secret or certificate.</para>
/// <para type="description">Removes the store's identity provider and deletes its secret from the store's secrets file; every session signed in with it ends. Refused with the error IdentityProviderInUse while an app signs users in: set those apps' -SignIn None first, so no app that required sign-in is opened by accident. A store without one is the error IdentityProviderNotFound.</para>
/// </summary>
/// <example>
/// <code>Get-CasbApp | Where-Object SignIn -ne None | Set-CasbApp -SignIn None; Remove-CasbIdentityProvider</code>
/// <para>Stops signing users in for every app, then removes the identity provider.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "CasbIdentityProvider", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveCasbIdentityProviderCommand : CasbStoreCmdlet
{
    protected override void EndProcessing()
    {
        CasbConfiguration current = LoadConfiguration();
        string target = current.IdentityProvider is { } provider ? $"Identity provider '{provider.Name}' ({provider.Authority})" : Store.Location;
        if (!ShouldProcess(target, "Remove identity provider"))
        {
            return;
        }

        try
        {
            IdentityProviderEntry removed = Store.Update((config, _) => IdentityProviderCatalog.Remove(config));
            WriteVerbose($"Identity provider '{removed.Name}' removed from '{Store.DocumentName}'.");
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }
    }
}
