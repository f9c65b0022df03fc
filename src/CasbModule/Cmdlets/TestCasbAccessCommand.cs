using System.Management.Automation;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using CasbCore;
using CasbCore.Model;
using CasbCore.Policies;
using CasbCore.SignIn;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Shows what the gateway would decide for a request (what-if).</para>
/// <para type="description">Builds a request from the parameters and asks the same engine the gateway uses: which app it reaches, which user and groups it has, which client app type its User-Agent is, which device tags its client certificate earns, each conditional-access policy's result, each matched access policy, and the outcome: Allow, Block (with the block message) or Monitor. Without -UserAgent the request has no User-Agent header, which is classified as MobileAndDesktop like any non-browser client; pass a browser's User-Agent to test a browser-only policy. Without -User the user comes from the certificate's principal, as at the gateway; -User overrides it. -Claims stands for a session signed in with the store's identity provider (for an app with -SignIn Optional or Required): a hashtable of claims, a JSON object of claims, or a JWT whose payload is read without checking its signature; the user and the groups are read from it by the identity provider's -UserClaim and -GroupClaim, through the same engine stage as at the gateway (InvalidClaims when it cannot be read, ClaimsWithUser when -User is given too). Without -IPAddress the request has no client address. With -Download or -Upload and -FileName (and -FileSizeMB) it also asks what would happen to that file inside the session (session policies, App Control mode), and Action answers for the file. Nothing is logged or changed. The -Uri's path is read as the gateway reads the request line: repeated slashes merge and '.' and '..' segments resolve, and a path the gateway refuses with 400 as ambiguous (an encoded '/' such as /admin%2Fsecret, a '\', a ';' parameter, a double encoding such as %252F, an encoded dot segment, a segment ending in '.') is the error RequestPathAmbiguous. An app that is not in the store (by name, or no app answering the -Uri) is the error AppNotFound; an -IPAddress that does not parse is InvalidIPAddress.</para>
/// </summary>
/// <example>
/// <code>Test-CasbAccess -App 'Microsoft Online Services' -UserAgent 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'</code>
/// <para>Shows what happens to an Edge browser without a client certificate.</para>
/// </example>
/// <example>
/// <code>$cert = Get-PfxCertificate ./lab/client.pfx; (Test-CasbAccess -Uri https://portal.contoso.local/mail -Certificate $cert -UserAgent $edge).Action</code>
/// <para>Returns Allow, Block or Monitor for a browser presenting the lab client certificate, with the app found from the URL as the gateway would.</para>
/// </example>
/// <example>
/// <code>(Test-CasbAccess -App 'Microsoft Online Services' -UserAgent $edge -Download -FileName report.xlsx -FileSizeMB 12).Action</code>
/// <para>Returns Block when a session policy (or App Control mode BlockDownloads) would block this download, Monitor when one would record it, else the session's action.</para>
/// </example>
/// <example>
/// <code>Test-CasbAccess -App 'Vendor Portal' -Claims @{ preferred_username = 'vendor@fabrikam.com'; groups = 'Vendors', 'Contractors' } -UserAgent $edge</code>
/// <para>Shows what happens to a browser session signed in with the store's identity provider whose token names vendor@fabrikam.com in the groups Vendors and Contractors, as the gateway would read the token (the identity provider's -UserClaim and -GroupClaim).</para>
/// </example>
/// <example>
/// <code>Test-CasbAccess -App 'Azure Portal' -User vendor@fabrikam.com -IPAddress 203.0.113.10 -At '2030-01-01' | Format-List</code>
/// <para>Shows every reason for the decision for a user coming from an outside address at a future date.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Test, "CasbAccess", DefaultParameterSetName = ByApp)]
[OutputType(typeof(CasbAccessDecision))]
public sealed class TestCasbAccessCommand : CasbStoreCmdlet
{
    private const string ByApp = "ByApp";
    private const string ByUri = "ByUri";

    /// <summary><para>The name of the app the request is for.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByApp, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string App { get; set; } = "";

    /// <summary><para>The URL of the request at the gateway; the app is found from its host name and path as the gateway would.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ByUri)]
    [ValidateNotNull]
    public Uri Uri { get; set; } = null!;

    /// <summary><para>The signed-in user's name. Default: the client certificate's principal, else anonymous.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? User { get; set; }

    /// <summary><para>The claims of a session signed in with the store's identity provider: a hashtable (an array value is one claim per element), a JSON object, or a JWT (its signature is not checked). Default: nobody signed in.</para></summary>
    [Parameter]
    [ValidateNotNull]
    public object? Claims { get; set; }

    /// <summary><para>The client certificate the device presents.</para></summary>
    [Parameter]
    [ValidateNotNull]
    public X509Certificate2? Certificate { get; set; }

    /// <summary><para>The User-Agent header. Default: none, which is classified as MobileAndDesktop.</para></summary>
    [Parameter]
    [AllowEmptyString]
    public string? UserAgent { get; set; }

    /// <summary><para>The client's IP address (IPv4 or IPv6), for IP-range filters.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IPAddress { get; set; }

    /// <summary><para>When the request happens (certificate validity is checked at this time). Default: now.</para></summary>
    [Parameter]
    public DateTime At { get; set; }

    /// <summary><para>Asks about a download of -FileName inside the session: the result's Action is then the file's (Block, Monitor when recorded, or the session's).</para></summary>
    [Parameter]
    public SwitchParameter Download { get; set; }

    /// <summary><para>Asks about an upload of -FileName inside the session.</para></summary>
    [Parameter]
    public SwitchParameter Upload { get; set; }

    /// <summary><para>The name of the file downloaded or uploaded (its extension is what session policies filter on).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? FileName { get; set; }

    /// <summary><para>A download's Content-Type, as the app sends it. A browser saves a file whose name has no extension (or, from a URL with a query, one its type does not list) under its type's extension: /download?id=5 sent as application/x-msdownload is saved as download.exe, and a session policy that names exe decides it. '' stands for a response that declares no type, which the browser sniffs (it may be saved as a zip, a gzip or a PDF). A text/plain body the browser sniffs as binary is saved as application/octet-stream: ask with that type (and -FileName name.exe for a Windows executable, as the gateway decides one). Default: not considered.</para></summary>
    [Parameter]
    [AllowEmptyString]
    public string? ContentType { get; set; }

    /// <summary><para>The file's size in MB (MiB). Default: unknown, which matches a session policy's -MinFileSizeMB.</para></summary>
    [Parameter]
    [ValidateRange(0d, 1048576d)]
    public double FileSizeMB { get; set; }

    protected override void ProcessRecord()
    {
        IPAddress? address = null;
        if (IPAddress is not null && !System.Net.IPAddress.TryParse(IPAddress.Trim(), out address))
        {
            ThrowError(
                "InvalidIPAddress", ErrorCategory.InvalidArgument,
                $"'{IPAddress}' is not an IPv4 or IPv6 address (for example 203.0.113.10 or 2001:db8::10).", IPAddress);
        }

        if (ParameterSetName == ByUri && !Uri.IsAbsoluteUri)
        {
            ThrowError("InvalidUri", ErrorCategory.InvalidArgument, $"'{Uri.OriginalString}' is not an absolute URL (for example https://portal.contoso.local/).", Uri);
        }

        FileTransfer? file = FileTransferOf();

        IReadOnlyList<KeyValuePair<string, string>>? claims = null;
        if (Claims is not null)
        {
            if (User is not null)
            {
                ThrowError("ClaimsWithUser", ErrorCategory.InvalidArgument, "-User and -Claims both name the user: give one of them.", User);
            }

            try
            {
                claims = ClaimsOf(Claims);
            }
            catch (CasbException ex)
            {
                ThrowCasbError(ex);
            }
        }

        // The path as typed (OriginalString), not Uri.AbsolutePath: System.Uri turns '\' into '/' and resolves %2E
        // segments, where the gateway refuses them. The engine's canonical form is the one the gateway decides on.
        RequestPath? path = null;
        if (ParameterSetName == ByUri && !RequestPath.TryParse(Uri.OriginalString.Trim(), out path, out string? problem))
        {
            ThrowCasbError(new CasbException(
                RequestPath.AmbiguousErrorId, CasbErrorKind.InvalidArgument,
                $"The path of '{Uri.OriginalString}' is ambiguous: {problem}. The gateway refuses such a request with 400 Bad Request without deciding, so there is nothing to test.",
                Uri));
        }

        CasbEngine engine = AcquireEngine();
        CasbConfiguration configuration = engine.Configuration;
        string? appName = null;
        if (ParameterSetName == ByApp)
        {
            appName = configuration.Apps.FirstOrDefault(a => NameSelection.IsSame(a.Name, App.Trim()))?.Name;
            if (appName is null)
            {
                ThrowCasbError(new CasbException(
                    "AppNotFound", CasbErrorKind.ObjectNotFound, $"The app '{App}' is not in the store '{Store.Location}'.", App));
            }
        }

        var request = new AccessRequest
        {
            AppName = appName,
            // The host as a browser sends it: an international name in its ASCII (punycode) form, as app host names are stored.
            Host = ParameterSetName == ByUri ? Uri.IdnHost : null,
            Path = path?.Escaped ?? "/",
            User = User?.Trim(),
            SignInClaims = claims,
            UserAgent = string.IsNullOrEmpty(UserAgent) ? null : UserAgent,
            ClientCertificate = Certificate,
            ClientAddress = address,
            RemoteAddress = address,
            At = IsBound(nameof(At)) ? ToOffset(At) : DateTimeOffset.UtcNow,
            CorrelationId = "what-if-" + Guid.NewGuid().ToString("N"),
        };

        AccessDecision decision;
        FileDecision? fileDecision = null;
        try
        {
            // The one engine call the gateway makes too: the what-if cannot disagree with enforcement.
            decision = engine.Decide(request);
            fileDecision = file is null || decision.App is null ? null : engine.DecideFile(decision, file);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
            throw;
        }

        if (decision.App is null)
        {
            ThrowCasbError(new CasbException(
                "AppNotFound", CasbErrorKind.ObjectNotFound,
                $"No app in the store '{Store.Location}' answers '{Uri}': the gateway would answer 404 without proxying.", Uri));
        }

        WriteObject(new CasbAccessDecision(decision, fileDecision));
    }

    /// <summary>The file of -Download/-Upload, or null; InvalidFileTransfer when the parameters do not make one.</summary>
    private FileTransfer? FileTransferOf()
    {
        if (Download && Upload)
        {
            ThrowError("InvalidFileTransfer", ErrorCategory.InvalidArgument, "Give -Download or -Upload, not both.", null);
        }

        if (!Download && !Upload)
        {
            if (FileName is not null || IsBound(nameof(FileSizeMB)) || ContentType is not null)
            {
                ThrowError("InvalidFileTransfer", ErrorCategory.InvalidArgument, "-FileName, -FileSizeMB and -ContentType describe a download or upload: add -Download or -Upload.", FileName);
            }

            return null;
        }

        if (FileName is null)
        {
            ThrowError("InvalidFileTransfer", ErrorCategory.InvalidArgument, "A download or upload needs -FileName (its extension is what session policies filter on).", null);
        }

        if (Upload && ContentType is not null)
        {
            ThrowError("InvalidFileTransfer", ErrorCategory.InvalidArgument, "-ContentType describes a download: an upload's type is the client's to choose, and session policies decide it by its name.", FileName);
        }

        long? size = IsBound(nameof(FileSizeMB)) ? (long)Math.Round(FileSizeMB * 1024 * 1024) : null;
        return new FileTransfer(Download ? FileTransferDirection.Download : FileTransferDirection.Upload, FileName, size, ContentType);
    }

    /// <summary>The canonical form the gateway builds from a session too: (claim type, value) pairs, one per value.</summary>
    private static IReadOnlyList<KeyValuePair<string, string>> ClaimsOf(object value)
    {
        object input = value is PSObject wrapped ? wrapped.BaseObject : value;
        if (input is string text)
        {
            return SignInClaims.Parse(text);
        }

        var claims = new List<KeyValuePair<string, string>>();
        void Add(string type, object? item)
        {
            item = item is PSObject inner ? inner.BaseObject : item;
            if (item is null)
            {
                return;
            }

            if (item is System.Collections.IEnumerable many and not string)
            {
                foreach (object? element in many)
                {
                    Add(type, element);
                }

                return;
            }

            claims.Add(new(type, item is IFormattable formattable ? formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture) : item.ToString() ?? ""));
        }

        if (input is System.Collections.IDictionary dictionary)
        {
            foreach (System.Collections.DictionaryEntry entry in dictionary)
            {
                Add(entry.Key?.ToString() ?? "", entry.Value);
            }
        }
        else if (value is PSObject properties)
        {
            foreach (PSPropertyInfo property in properties.Properties)
            {
                Add(property.Name, property.Value);
            }
        }
        else
        {
            throw new CasbException(SignInClaims.InvalidClaimsErrorId, CasbErrorKind.InvalidArgument,
                $"The claims cannot be read: a {input.GetType().Name} is not a hashtable, an object, a JSON object or a JWT.");
        }

        return claims;
    }

    /// <summary>The engine of the store as it is now: compiled once per store content and kept for the session.</summary>
    private CasbEngine AcquireEngine()
    {
        CasbEngine engine;
        bool reused;
        try
        {
            engine = CasbEngineCache.Shared.GetEngine(Store, out reused);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
            throw;
        }

        WriteVerbose(reused
            ? $"Using the cached engine for revision {engine.Revision} of the store '{Store.Location}'."
            : $"Compiled the engine for revision {engine.Revision} of the store '{Store.Location}'.");
        return engine;
    }

    private bool IsBound(string parameterName) => MyInvocation.BoundParameters.ContainsKey(parameterName);

    private static DateTimeOffset ToOffset(DateTime at) =>
        at.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Local)) : new DateTimeOffset(at);
}
