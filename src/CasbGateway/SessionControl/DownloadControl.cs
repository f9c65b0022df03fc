using CasbCore.Policies;
using CasbGateway.Enforcement;

namespace CasbGateway.SessionControl;

/// <summary>
/// The response stage of session control: before an upstream response is copied to the client, a download in a
/// session that carries session controls is decided by the engine (<c>CasbEngine.DecideFile</c>, the call
/// Test-CasbAccess -Download makes). Blocked: the client gets the 403 block page and none of the file. The file
/// decision is kept on the request for the activity record.
/// </summary>
internal static class DownloadControl
{
    /// <summary>True when the response may be proxied; false when a block page was written instead.</summary>
    public static async ValueTask<bool> AllowAsync(HttpContext context, HttpResponseMessage? response)
    {
        GatewayRequestFeature? feature = context.Features.Get<GatewayRequestFeature>();
        if (response is null || feature is not { Decision: { SessionControls: not null } decision, State: { } state })
        {
            return true; // not under App Control: no allocation, nothing to decide
        }

        if (DownloadDetector.DownloadOf(response) is not { } download)
        {
            return true;
        }

        FileDecision file = state.Engine.DecideFile(decision, download);
        feature.File = file;
        if (file.Action != FileAction.Block)
        {
            return true;
        }

        await ResponsePages.WriteAsync(
            context, StatusCodes.Status403Forbidden, "download_blocked", ResponsePages.BlockTitle,
            file.BlockMessage ?? ResponsePages.DefaultBlockMessage, decision.App, feature.CorrelationId, feature.At,
            decision.ClientAppType);
        return false;
    }
}
