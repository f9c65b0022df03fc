using System.Management.Automation;
using System.Net;
using System.Security;
using CasbCore;
using CasbCore.Gateways;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Starts the enforcement gateway for a CASB store as a background process.</para>
/// <para type="description">Starts the YARP reverse proxy (dotnet CasbGateway.dll from the module's gateway folder) in its own process, listening with HTTPS on the given address and port, requesting client certificates. Without -CertificatePath the gateway creates and reuses a self-signed server certificate for localhost in the store. The cmdlet records the gateway under the store's gateways folder as soon as its process starts (Get-CasbGateway shows it NotResponding until it answers, and Stop-CasbGateway can stop it even if this session is killed meanwhile), waits until it answers its /healthz endpoint and returns it. A gateway that cannot start (port in use, bad certificate or password, broken store) is a terminating error carrying the gateway's own message, and no process or record is left behind. Configuration changes made with the other cmdlets reach a running gateway without a restart.</para>
/// </summary>
/// <example>
/// <code>Start-CasbGateway</code>
/// <para>Starts the gateway "default" on https://127.0.0.1:8443 for the default store.</para>
/// </example>
/// <example>
/// <code>Start-CasbGateway -Port 443 -ListenAddress 0.0.0.0 -CertificatePath ./gateway.pfx -CertificatePassword (Read-Host -AsSecureString)</code>
/// <para>Listens on every IPv4 address with the organization's server certificate.</para>
/// </example>
/// <example>
/// <code>Start-CasbGateway -ActivityOtlpEndpoint http://collector.contoso.com:4318 -ActivityOtlpHeader @{ 'X-Api-Key' = $key }</code>
/// <para>Also sends every activity record to an OpenTelemetry collector (OTLP/HTTP logs, POST /v1/logs, gzip) with an API key header; the activity files are written as before.</para>
/// </example>
/// <example>
/// <code>Start-CasbGateway -StorePath postgresql://casb@db.contoso.com/casb -ActivityQueueCapacity 1000000</code>
/// <para>Lets each activity sink hold up to a million records while the database is away (at 1,000 records a second, about 16 minutes) before it drops and counts them.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "CasbGateway", SupportsShouldProcess = true)]
[OutputType(typeof(CasbGateway))]
public sealed class StartCasbGatewayCommand : CasbStoreCmdlet
{
    private readonly CancellationTokenSource _cancellation = new();

    /// <summary><para>The TCP port the gateway listens on (HTTPS). Default: 8443.</para></summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 8443;

    /// <summary><para>The IP address the gateway listens on: 127.0.0.1 (default), ::1, 0.0.0.0 for every IPv4 address, or localhost.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary><para>A PFX file with the server certificate and its private key. Default: a self-signed localhost certificate kept in the store.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificatePath { get; set; }

    /// <summary><para>The password of the PFX file; passed to the gateway through its environment, never on a command line.</para></summary>
    [Parameter]
    public SecureString? CertificatePassword { get; set; }

    /// <summary><para>A name for this gateway, unique per store (several gateways can serve one store on different ports). Default: default.</para></summary>
    [Parameter]
    [ValidatePattern(CasbCore.Gateways.GatewayNames.Pattern)]
    public string Name { get; set; } = "default";

    /// <summary><para>Seconds to wait for the gateway to answer its health endpoint. Default: 30.</para></summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int StartupTimeout { get; set; } = 30;

    /// <summary><para>Seconds an app's upstream may stay silent before the gateway answers 504 Gateway Timeout. Default: 100.</para></summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int UpstreamTimeout { get; set; }

    /// <summary><para>An OpenTelemetry collector or SIEM that activity also goes to, as OTLP/HTTP JSON logs: its base URL (http:// or https://, for example http://collector:4318), to which /v1/logs is added. The activity files or database are written as before; while the collector fails, its records wait in a queue of their own and /readyz says degraded.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ActivityOtlpEndpoint { get; set; }

    /// <summary><para>Headers sent with every OTLP request, for example an API key: @{ 'Authorization' = 'Bearer ...' }. They reach the gateway through its environment, never its command line, and are never logged.</para></summary>
    [Parameter]
    [ValidateNotNull]
    public System.Collections.Hashtable? ActivityOtlpHeader { get; set; }

    /// <summary><para>How the OTLP requests are encoded: gzip (the default; every OTLP receiver must accept it, and activity JSON shrinks to a fraction) or none, for an intake that does not decompress (it would answer 400 or 415, and those records would be dropped and counted). Needs -ActivityOtlpEndpoint.</para></summary>
    [Parameter]
    [ValidateSet("gzip", "none")]
    public string? ActivityOtlpCompression { get; set; }

    /// <summary><para>How many activity records each activity sink's queue holds while the sink is slower than the traffic or failing (the database or the collector away), from 1 to 10,000,000. Default: 100,000. A record the full queue cannot take is counted in casb_gateway_activity_dropped_total, never silently lost; casb_gateway_activity_queue_capacity at /metrics shows the bound in effect. Every queued record is held in the gateway's memory: size it to the outage it should ride out at your request rate.</para></summary>
    [Parameter]
    [ValidateRange(1, CasbCore.Activity.ActivityPump.MaxCapacity)]
    public int ActivityQueueCapacity { get; set; }

    protected override void EndProcessing()
    {
        if (!IPAddress.TryParse(ListenAddress.Trim('[', ']'), out _) && ListenAddress != "localhost")
        {
            ThrowError("InvalidListenAddress", ErrorCategory.InvalidArgument,
                $"'{ListenAddress}' is not an IP address (for example 127.0.0.1, ::1 or 0.0.0.0) or localhost.", ListenAddress);
        }

        string? certificatePath = CertificatePath is null ? null : ResolveFileSystemPath(CertificatePath);
        if (certificatePath is not null && !File.Exists(certificatePath))
        {
            ThrowError("CertificateFileNotFound", ErrorCategory.ObjectNotFound,
                $"The server certificate file '{certificatePath}' does not exist.", certificatePath);
        }

        var otlpHeaders = new List<KeyValuePair<string, string>>();
        foreach (System.Collections.DictionaryEntry entry in ActivityOtlpHeader ?? new System.Collections.Hashtable())
        {
            string value = entry.Value switch
            {
                SecureString secure => new NetworkCredential("", secure).Password,
                _ => LanguagePrimitives.ConvertTo<string>(entry.Value) ?? "",
            };
            otlpHeaders.Add(new KeyValuePair<string, string>(LanguagePrimitives.ConvertTo<string>(entry.Key) ?? "", value));
        }

        // Checked before -WhatIf answers, as the other parameters are.
        try
        {
            if (ActivityOtlpEndpoint is not null)
            {
                CasbCore.Activity.OtlpActivitySink.LogsUri(ActivityOtlpEndpoint);
            }
            else if (otlpHeaders.Count > 0)
            {
                throw new CasbException("InvalidOtlpHeader", CasbErrorKind.InvalidArgument, "-ActivityOtlpHeader needs -ActivityOtlpEndpoint.", null);
            }
            else if (ActivityOtlpCompression is not null)
            {
                throw new CasbException("InvalidOtlpCompression", CasbErrorKind.InvalidArgument, "-ActivityOtlpCompression needs -ActivityOtlpEndpoint.", null);
            }

            foreach (KeyValuePair<string, string> header in otlpHeaders)
            {
                CasbCore.Activity.OtlpActivitySink.Header(header.Key, header.Value);
            }
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }

        if (!ShouldProcess($"{Name} on {ListenAddress}:{Port} for store {Store.Location}", "Start CASB gateway"))
        {
            return;
        }

        string moduleDirectory = Path.GetDirectoryName(typeof(StartCasbGatewayCommand).Assembly.Location)!;
        var options = new GatewayStartOptions
        {
            StorePath = Store.Location,
            GatewayDirectory = Path.Combine(moduleDirectory, "gateway"),
            Name = Name,
            ListenAddress = ListenAddress,
            Port = Port,
            CertificatePath = certificatePath,
            CertificatePassword = CertificatePassword is null ? null : new NetworkCredential("", CertificatePassword).Password,
            StartupTimeout = TimeSpan.FromSeconds(StartupTimeout),
            UpstreamTimeout = UpstreamTimeout > 0 ? TimeSpan.FromSeconds(UpstreamTimeout) : null,
            ActivityOtlpEndpoint = ActivityOtlpEndpoint,
            ActivityOtlpHeaders = otlpHeaders,
            ActivityOtlpCompression = ActivityOtlpCompression is null ? null : CasbCore.Activity.OtlpActivitySink.ParseCompression(ActivityOtlpCompression),
            ActivityQueueCapacity = MyInvocation.BoundParameters.ContainsKey(nameof(ActivityQueueCapacity)) ? ActivityQueueCapacity : null,
        };

        WriteVerbose($"Starting the gateway '{Name}' on https://{ListenAddress}:{Port} for the store '{Store.Location}'.");
        GatewayRecord record;
        try
        {
            record = GatewayProcesses.Start(options, _cancellation.Token);
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        WriteObject(new CasbGateway(record, GatewayStatus.Running));
    }

    protected override void StopProcessing() => _cancellation.Cancel();
}
