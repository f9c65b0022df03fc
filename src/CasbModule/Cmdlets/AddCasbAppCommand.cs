using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.Catalogs;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Adds an app for the gateway to protect.</para>
/// <para type="description">Registers an app by name: the upstream the gateway forwards allowed requests to, the host names it answers on (wildcards such as *.contoso.local allowed) and an optional path prefix. A request is mapped to the app whose host name and path prefix match it most specifically. Policies then refer to the app by its name, which may contain spaces ("Microsoft Online Services"). A name already in the store is refused with the error AppExists.</para>
/// </summary>
/// <example>
/// <code>Add-CasbApp -Name 'Microsoft Online Services' -Upstream https://127.0.0.1:9443 -Hostname portal.contoso.local</code>
/// <para>Protects the app answering on portal.contoso.local, forwarding allowed requests to the upstream on 127.0.0.1:9443.</para>
/// </example>
/// <example>
/// <code>Add-CasbApp 'Azure Portal' -Upstream http://127.0.0.1:8080 -Hostname '*.azure.contoso.local' -PathPrefix /portal -ForwardClientCertificate -PassThru</code>
/// <para>Protects /portal on any host under azure.contoso.local, passes the validated client certificate upstream in a Client-Cert header, and returns the new app.</para>
/// </example>
/// <example>
/// <code>Add-CasbApp 'Vendor Portal' -Upstream http://127.0.0.1:8080 -Hostname vendors.contoso.local -SignIn Required</code>
/// <para>Users sign in with the store's identity provider before any request reaches the app; policies then see the signed-in user and the token's groups.</para>
/// </example>
[Cmdlet(VerbsCommon.Add, "CasbApp", SupportsShouldProcess = true)]
[OutputType(typeof(CasbApp))]
public sealed class AddCasbAppCommand : CasbStoreCmdlet
{
    /// <summary><para>The app's name, as policies refer to it. Spaces allowed.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para>The absolute http:// or https:// URI the gateway forwards allowed requests to.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public Uri Upstream { get; set; } = null!;

    /// <summary><para>Host names the app answers on at the gateway; a leading "*." matches any subdomain. An IP address is written as it is matched: IPv4 in dotted decimal without leading zeros ('010.0.0.1' reads as 8.0.0.1 and is refused with InvalidHostname). Without host names the app is reached only by name (Test-CasbAccess -App). When another app's more specific host name takes requests under this app's path prefix, or this app's host name takes another's, a warning says so.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Hostnames")]
    public string[]? Hostname { get; set; }

    /// <summary><para>The path under which the app answers, starting with '/'. Default: '/'.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? PathPrefix { get; set; }

    /// <summary><para>Passes the validated client certificate to the upstream in an RFC 9440 Client-Cert header.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter ForwardClientCertificate { get; set; }

    /// <summary><para>Whether the gateway signs users in for this app with the store's identity provider (Set-CasbIdentityProvider): None (default; the user comes from the identity header or the client certificate), Optional (a session signed in at /.casb/signin names the user) or Required (browsers are sent to the identity provider first; other clients get 401). The sign-in callback https://&lt;host&gt;/.casb/signin-oidc of each host name must be registered with the identity provider. SignIn other than None without an identity provider is the error SignInWithoutIdentityProvider.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SignInMode SignIn { get; set; }

    /// <summary><para>Returns the new app.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var entry = new AppEntry
        {
            Name = Name,
            Upstream = Upstream.IsAbsoluteUri ? Upstream.AbsoluteUri : Upstream.OriginalString,
            Hostnames = (Hostname ?? []).ToList(),
            PathPrefix = PathPrefix ?? "/",
            ForwardClientCertificate = ForwardClientCertificate.IsPresent,
            SignIn = SignIn,
        };
        try
        {
            AppCatalog.Prepare(entry);
        }
        catch (CasbException ex)
        {
            ReportItemError(ex);
            return;
        }

        if (!ShouldProcess($"App '{entry.Name}' ({entry.Upstream})", "Add app"))
        {
            return;
        }

        IReadOnlyList<string> warnings = [];
        AppEntry? added = UpdateItem(config =>
        {
            AppEntry app = AppCatalog.Add(config, entry, DateTimeOffset.UtcNow);
            warnings = AppCatalog.RoutingWarnings(config, app.Name);
            return app;
        });
        foreach (string warning in warnings)
        {
            WriteWarning(warning);
        }

        if (added is not null && PassThru)
        {
            WriteObject(new CasbApp(added, Store.Location));
        }
    }
}
