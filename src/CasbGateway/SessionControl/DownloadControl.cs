using CasbCore.Policies;
using CasbGateway.Enforcement;

namespace CasbGateway.SessionControl;

/// <summary>
/// The response stage of session control: before an upstream response is copied to the client, a download in a
/// session that carries session controls is decided by the engine (<c>CasbEngine.DecideFile</c>, the call
/// Test-CasbAccess -Download makes) under every spelling of its name. Blocked: the upstream's body is dropped and the
/// client saves <c>&lt;name&gt;.blocked.txt</c> with the block message and the correlation id instead, as Defender for
/// Cloud Apps does. The file decision is kept on the request for the activity record.
/// </summary>
internal static class DownloadControl
{
    /// <summary>True when the response may be proxied; false when the blocked-download file was written instead.</summary>
    public static async ValueTask<bool> AllowAsync(HttpContext context, HttpResponseMessage? response, CancellationToken cancellationToken)
    {
        GatewayRequestFeature? feature = context.Features.Get<GatewayRequestFeature>();
        if (response is null || feature is not { Decision: { SessionControls: { } controls } decision, State: { } state })
        {
            return true; // not under App Control: no allocation, nothing to decide
        }

        bool fetchesFile = HttpMethods.IsGet(context.Request.Method);
        if (DownloadDetector.DownloadOf(response, feature.Path, controls, UploadDetector.StoresFileAtUrl(context.Request), fetchesFile) is not { } download)
        {
            if (!DownloadDetector.IsSniffedTextPlain(response, fetchesFile))
            {
                return true; // a page: its body is not read
            }

            // A text/plain body the browser sniffs: its first bytes say whether it is saved (Chromium's rule, the engine's).
            byte[]? window = await BodyPeek.PeekAsync(response, cancellationToken);
            if (window is null && context.RequestAborted.IsCancellationRequested)
            {
                return true; // the client left while the gateway peeked: nothing reaches it, and YARP records the abort
            }

            TextPlainSniffer.Result? sniffed = window is null ? null : TextPlainSniffer.Sniff(window, feature.Path?.Value);
            if (DownloadDetector.SniffedDownloadOf(response, feature.Path, controls, sniffed) is not { } sniffedDownload)
            {
                return true;
            }

            download = sniffedDownload;
        }

        FileDecision file = Decide(state, decision, download);
        feature.File = file;
        if (file.Action != FileAction.Block)
        {
            return true;
        }

        await BlockedDownloadFile.WriteAsync(
            context, download.SavedAs, file.BlockMessage ?? ResponsePages.DefaultBlockMessage, decision.App, feature.CorrelationId, feature.At);
        return false;
    }

    // A method of its own: a lambda in AllowAsync that captures the decision and the state made the compiler allocate its
    // closure (with a copy of the whole AccessDecision) at the top of AllowAsync, for every proxied response, download or
    // not: about 220 B per request (docs/benchmarks.md, "Sixth pass: allocation"; AllocationGuardTests counts it).
    private static FileDecision Decide(Configuration.EngineState state, AccessDecision decision, DownloadFile download) =>
        FileDecisions.Strictest(f => state.Engine.DecideFile(decision, f), FileTransferDirection.Download, download.Names, download.SizeBytes);
}
