using System.Management.Automation;
using CasbCore;
using CasbCore.Model;
using CasbCore.Catalogs;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Changes an app the gateway protects.</para>
/// <para type="description">Changes the upstream, host names, path prefix, client-certificate forwarding or the name of an app, given by name or piped from Get-CasbApp. Only the parameters given change. Renaming an app also renames it in every policy that refers to it.</para>
/// </summary>
/// <example>
/// <code>Set-CasbApp -Name 'Azure Portal' -Upstream https://10.0.0.20:443</code>
/// <para>Points the app at a new upstream.</para>
/// </example>
/// <example>
/// <code>Get-CasbApp 'Microsoft Online Services' | Set-CasbApp -Hostname portal.contoso.local, login.contoso.local -PassThru</code>
/// <para>Replaces the app's host names and returns the changed app.</para>
/// </example>
/// <example>
/// <code>Set-CasbApp 'Vendor Portal' -SignIn Required</code>
/// <para>From now on users sign in with the store's identity provider before they reach the app.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "CasbApp", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(CasbApp))]
public sealed class SetCasbAppCommand : CasbItemCmdlet
{
    private const string ByName = "ByName";
    private const string ByObject = "ByObject";

    /// <summary><para>The name of the app to change.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary><para>The app to change, as returned by Get-CasbApp.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByObject, ValueFromPipeline = true)]
    [ValidateNotNull]
    public CasbApp InputObject { get; set; } = null!;

    /// <summary><para>A new name for the app; policies referring to it are updated.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NewName { get; set; }

    /// <summary><para>The absolute http:// or https:// URI the gateway forwards allowed requests to.</para></summary>
    [Parameter]
    [ValidateNotNull]
    public Uri? Upstream { get; set; }

    /// <summary><para>The host names the app answers on (replaces the current list; an empty array removes them all), with the rules of Add-CasbApp -Hostname, and its warning when one app takes requests under another's path prefix.</para></summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[]? Hostname { get; set; }

    /// <summary><para>The path under which the app answers, starting with '/'.</para></summary>
    [Parameter]
    public string? PathPrefix { get; set; }

    /// <summary><para>Passes the validated client certificate upstream in a Client-Cert header; -ForwardClientCertificate:$false stops it.</para></summary>
    [Parameter]
    public SwitchParameter ForwardClientCertificate { get; set; }

    /// <summary><para>Whether the gateway signs users in for this app with the store's identity provider (Set-CasbIdentityProvider): None (the user comes from the identity header or the client certificate), Optional (a session signed in at /.casb/signin names the user) or Required (browsers are sent to the identity provider first; other clients get 401). The sign-in callback https://&lt;host&gt;/.casb/signin-oidc of each host name must be registered with the identity provider. SignIn other than None without an identity provider is the error SignInWithoutIdentityProvider.</para></summary>
    [Parameter]
    public SignInMode SignIn { get; set; }

    /// <summary><para>Returns the changed app.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        string name = Name;
        if (ParameterSetName == ByObject)
        {
            UseStoreOf(InputObject.ExactStorePath);
            name = InputObject.ExactName;
        }

        var change = new AppChange
        {
            NewName = NewName,
            Upstream = Upstream is null ? null : Upstream.IsAbsoluteUri ? Upstream.AbsoluteUri : Upstream.OriginalString,
            Hostnames = Hostname,
            PathPrefix = PathPrefix,
            ForwardClientCertificate = IsBound(nameof(ForwardClientCertificate)) ? ForwardClientCertificate.IsPresent : null,
            SignIn = IsBound(nameof(SignIn)) ? SignIn : null,
        };
        try
        {
            change = AppCatalog.Prepare(change);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }

        if (!ShouldProcess($"App '{name}'", "Change app"))
        {
            return;
        }

        IReadOnlyList<string> warnings = [];
        AppEntry? changed = TryUpdateItem(config =>
        {
            AppEntry app = AppCatalog.Change(config, name, change, DateTimeOffset.UtcNow);
            warnings = AppCatalog.RoutingWarnings(config, app.Name);
            return app;
        });
        foreach (string warning in warnings)
        {
            WriteWarning(warning);
        }

        if (changed is not null && PassThru)
        {
            WriteObject(new CasbApp(changed, Store.Location));
        }
    }
}
