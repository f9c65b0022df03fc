using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Model;
using CasbCore.SignIn;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Sets the OpenID Connect identity provider the gateway signs users in with (Entra ID or any OIDC issuer).</para>
/// <para type="description">Creates or changes the store's identity provider. Apps with Add-CasbApp or Set-CasbApp -SignIn Optional or Required then sign users in at the gateway with the authorization-code flow and PKCE, and policies see the signed-in user (by -UserClaim) and the token's groups (by -GroupClaim) plus the store's groups. Register https://&lt;app host&gt;/.casb/signin-oidc as a redirect URI (and https://&lt;app host&gt;/.casb/signed-out as a post-logout redirect URI) for every host name of those apps.</para>
/// <para type="description">A new identity provider needs -Authority, -ClientId and a -ClientSecret or -ClientCertificate; later calls change only the parameters given. When a provider is created or its -Authority or -AuthorityCertificate changes, its /.well-known/openid-configuration is fetched and checked before anything is stored: an unreachable authority is the error IdentityProviderUnreachable, a document that is not OpenID Connect discovery or lacks the code flow IdentityProviderMetadataInvalid, and one that names another issuer IdentityProviderIssuerMismatch. -SkipValidation stores it without the check (offline set-up). Other error ids: IdentityProviderAuthorityInvalid (not an absolute https URI), IdentityProviderClientIdMissing, IdentityProviderCredentialMissing, InvalidScope, InvalidSessionLifetime, ClientCertificateNoPrivateKey.</para>
/// <para type="description">The client secret and certificate are stored in casb.secrets.json beside casb.json (mode 600 on Linux and macOS), never in casb.json: Get-CasbIdentityProvider and Export-CasbConfiguration never show them. Changing the authority or the client id ends every session signed in with the previous one. A running gateway picks the change up without a restart.</para>
/// </summary>
/// <example>
/// <code>Set-CasbIdentityProvider -Authority https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0 -ClientId 0f6b1c2e-3c4d-4e5f-9a8b-7c6d5e4f3a2b -ClientSecret (Read-Host -AsSecureString 'Client secret')</code>
/// <para>Signs users in with an Entra ID tenant, as the app registration 0f6b...; users are named by preferred_username and grouped by the groups claim.</para>
/// </example>
/// <example>
/// <code>Set-CasbIdentityProvider -UserClaim upn -GroupClaim roles -SessionLifetime (New-TimeSpan -Hours 4) -PassThru</code>
/// <para>Changes the claims the gateway reads and the session lifetime of the existing identity provider, and shows it.</para>
/// </example>
/// <example>
/// <code>Set-CasbIdentityProvider -Authority https://idp.contoso.local/realms/staff -ClientId casb-gateway -ClientCertificate (Get-PfxCertificate ./gateway-client.pfx) -AuthorityCertificate (Get-PfxCertificate ./contoso-root.cer) -SkipValidation</code>
/// <para>Stores an identity provider on an internal PKI that cannot be reached from here yet, with a client certificate (private_key_jwt) instead of a secret.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "CasbIdentityProvider", SupportsShouldProcess = true, DefaultParameterSetName = BySecret)]
[OutputType(typeof(CasbIdentityProvider))]
public sealed class SetCasbIdentityProviderCommand : CasbStoreCmdlet
{
    private const string BySecret = "BySecret";
    private const string ByCertificate = "ByCertificate";

    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(30);

    /// <summary><para>The issuer URI of the identity provider (https). For Entra ID: https://login.microsoftonline.com/&lt;tenant id&gt;/v2.0.</para></summary>
    [Parameter(Position = 0)]
    [ValidateNotNull]
    public Uri? Authority { get; set; }

    /// <summary><para>The client (application) id the gateway is registered with at the identity provider.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClientId { get; set; }

    /// <summary><para>The client secret of that registration. Stored in the store's secrets file, never shown or exported.</para></summary>
    [Parameter(ParameterSetName = BySecret)]
    [ValidateNotNull]
    public SecureString? ClientSecret { get; set; }

    /// <summary><para>A client certificate with its private key, instead of a secret (private_key_jwt). Stored in the store's secrets file.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByCertificate)]
    [ValidateNotNull]
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary><para>The scopes requested (openid is always added). Default: openid profile email.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Scope { get; set; }

    /// <summary><para>The token claim that names the user: upn, preferred_username (default) or email.</para></summary>
    [Parameter]
    [ValidateSet("upn", "preferred_username", "email")]
    public string? UserClaim { get; set; }

    /// <summary><para>The token claim that lists the user's groups: groups (default) or roles. A group counts for a policy when its value is the name of a store group (New-CasbGroup).</para></summary>
    [Parameter]
    [ValidateSet("groups", "roles")]
    public string? GroupClaim { get; set; }

    /// <summary><para>How long a gateway session lasts from sign-in (1 minute to 30 days). Default: 8 hours.</para></summary>
    [Parameter]
    public TimeSpan SessionLifetime { get; set; }

    /// <summary><para>How the activity log names the identity provider. Default: the authority's host name.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary><para>A CA certificate the authority's TLS certificate must chain to (an identity provider on an internal PKI); only that CA is then trusted for it. $null trusts the operating system's roots again.</para></summary>
    [Parameter]
    [AllowNull]
    public X509Certificate2? AuthorityCertificate { get; set; }

    /// <summary><para>Stores the identity provider without fetching its discovery document (offline set-up).</para></summary>
    [Parameter]
    [Alias("Force")]
    public SwitchParameter SkipValidation { get; set; }

    /// <summary><para>Returns the identity provider after the change.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        IdentityProviderChange change = BuildChange();
        try
        {
            change = IdentityProviderCatalog.Prepare(change);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }

        if (!ShouldProcess(Store.Location, $"Set identity provider{(change.Authority is null ? "" : $" '{change.Authority}'")}"))
        {
            return;
        }

        IdentityProviderEntry? current = LoadConfiguration().IdentityProvider;
        // Checked when where the gateway goes changes (a new provider, authority or authority certificate), not when
        // only a claim, scope or lifetime does: those must be changeable while the provider is briefly down.
        bool newAddress = current is null || change.Authority is not null || change.AuthorityCertificate is not null;
        if (!SkipValidation && newAddress)
        {
            string? authority = change.Authority ?? current?.Authority;
            if (authority is not null)
            {
                string? trusted = change.AuthorityCertificate ?? current?.AuthorityCertificate;
                using X509Certificate2? root = string.IsNullOrEmpty(trusted) ? null : IdentityProviderRules.ReadAuthorityCertificate(trusted);
                WriteVerbose($"Checking {IdentityProviderMetadataClient.MetadataAddress(authority)}.");
                try
                {
                    IdentityProviderMetadata metadata = IdentityProviderMetadataClient.FetchAsync(authority, root, MetadataTimeout).GetAwaiter().GetResult();
                    change = change with { Metadata = metadata };
                }
                catch (CasbException ex)
                {
                    ThrowCasbError(ex);
                }
            }
        }

        IdentityProviderEntry provider = null!;
        try
        {
            provider = Store.Update((config, secrets) => IdentityProviderCatalog.Set(config, secrets, change, DateTimeOffset.UtcNow));
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }

        CasbConfiguration saved = LoadConfiguration();
        WriteVerbose($"Identity provider '{provider.Name}' set in '{Store.DocumentName}' (revision {saved.Revision}).");
        if (PassThru && saved.IdentityProvider is { } written)
        {
            WriteObject(new CasbIdentityProvider(written, Store.Location, saved.Revision));
        }
    }

    private IdentityProviderChange BuildChange()
    {
        string? pkcs12 = null;
        string? thumbprint = null;
        if (ClientCertificate is not null)
        {
            if (!ClientCertificate.HasPrivateKey)
            {
                ThrowError("ClientCertificateNoPrivateKey", ErrorCategory.InvalidArgument,
                    $"The client certificate '{ClientCertificate.Subject}' has no private key: the gateway signs its client assertion with it.", ClientCertificate);
            }

            try
            {
                pkcs12 = Convert.ToBase64String(ClientCertificate.Export(X509ContentType.Pkcs12));
                thumbprint = ClientCertificate.Thumbprint;
            }
            catch (CryptographicException ex)
            {
                ThrowError("ClientCertificateNoPrivateKey", ErrorCategory.InvalidArgument,
                    $"The private key of the client certificate '{ClientCertificate.Subject}' cannot be exported into the store: {ex.Message}", ClientCertificate, ex);
            }
        }

        string? authorityCertificate = null;
        if (IsBound(nameof(AuthorityCertificate)))
        {
            authorityCertificate = AuthorityCertificate is null ? "" : Convert.ToBase64String(AuthorityCertificate.RawData);
        }

        return new IdentityProviderChange
        {
            Name = Name,
            Authority = Authority?.OriginalString,
            ClientId = ClientId,
            ClientSecret = ClientSecret is null ? null : Plain(ClientSecret),
            ClientCertificatePkcs12 = pkcs12,
            ClientCertificateThumbprint = thumbprint,
            Scopes = Scope,
            UserClaim = UserClaim,
            GroupClaim = GroupClaim,
            SessionLifetimeMinutes = IsBound(nameof(SessionLifetime)) ? (int)Math.Ceiling(SessionLifetime.TotalMinutes) : null,
            AuthorityCertificate = authorityCertificate,
        };
    }

    private bool IsBound(string parameterName) => MyInvocation.BoundParameters.ContainsKey(parameterName);

    private static string Plain(SecureString secure)
    {
        IntPtr pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
        try
        {
            return Marshal.PtrToStringUni(pointer) ?? "";
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }
}
