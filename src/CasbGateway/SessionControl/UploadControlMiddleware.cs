using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using CasbCore.Policies;
using CasbGateway.Enforcement;

namespace CasbGateway.SessionControl;

/// <summary>
/// The request stage of session control, for a session that carries session controls. A multipart body is decided
/// part by part as it streams (<see cref="MultipartUploadStream"/>, each file through <c>CasbEngine.DecideFile</c>, the
/// call Test-CasbAccess -Upload makes): the gateway reads ahead to the first file part, so a form whose first file is
/// blocked gets the 403 block page before the upstream is contacted; a later blocked part aborts the upstream request
/// before any of its bytes are sent, and the client gets the block page. A body that names its file in a
/// Content-Disposition header, or in X-File-Name, X-Filename, Slug or tus Upload-Metadata, is decided from its headers
/// before forwarding. Requests outside App Control, and
/// requests that carry no file, pass untouched.
/// </summary>
internal sealed class UploadControlMiddleware
{
    private readonly RequestDelegate _next;

    public UploadControlMiddleware(RequestDelegate next) => _next = next;

    // Not async itself: most requests pass straight on, and an async frame per request costs a state machine.
    public Task InvokeAsync(HttpContext context)
    {
        GatewayRequestFeature feature = context.Features.GetRequiredFeature<GatewayRequestFeature>();
        return feature is { Decision: { SessionControls: not null } decision, State: { } state } && UploadDetector.MayCarryFiles(context.Request, feature.Path, decision.SessionControls)
            ? DecideUploadsAsync(context, feature, decision, state)
            : _next(context);
    }

    private async Task DecideUploadsAsync(HttpContext context, GatewayRequestFeature feature, AccessDecision decision, Configuration.EngineState state)
    {
        Func<FileTransfer, FileDecision> decide = file => state.Engine.DecideFile(decision, file);
        if (!UploadDetector.IsMultipart(context.Request) || UploadDetector.IsCopyOrMove(context.Request))
        {
            if (UploadDetector.IsMultipart(context.Request))
            {
                // A MOVE or COPY names its file in its Destination; a form in its body is not read part by part: refused.
                await RefuseMalformedAsync(context, feature, "a MOVE or COPY carries a multipart body");
                return;
            }

            feature.File = UploadDetector.DecideNamedBody(context.Request, feature.Path, decide, out string? problem);
            if (problem is not null)
            {
                await RefuseMalformedAsync(context, feature, problem);
            }
            else if (feature.File is { Action: FileAction.Block } blocked)
            {
                await BlockAsync(context, feature, blocked);
            }
            else
            {
                await _next(context);
            }

            return;
        }

        if (UploadDetector.NamesFileInHeader(context.Request))
        {
            // A form a header names too (X-File-Name beside the parts): a server may store the body under the header's name.
            FileDecision? named = UploadDetector.DecideNamedBody(context.Request, feature.Path, decide, out string? namedProblem);
            if (namedProblem is not null)
            {
                await RefuseMalformedAsync(context, feature, namedProblem);
                return;
            }

            if (named is { Action: FileAction.Block })
            {
                feature.File = named;
                await BlockAsync(context, feature, named);
                return;
            }
        }

        if (UploadDetector.IsEncoded(context.Request))
        {
            // Its parts are what the upstream decodes, which the gateway cannot decide as they stream: refused, not guessed.
            await RefuseMalformedAsync(context, feature, "its Content-Encoding hides its parts from the gateway");
            return;
        }

        if (UploadDetector.BoundaryOf(context.Request, out string? boundaryProblem) is not { } boundary)
        {
            await RefuseMalformedAsync(context, feature, boundaryProblem!);
            return;
        }

        var upload = new MultipartUploadStream(context.Request.Body, boundary, decide);
        context.Response.RegisterForDispose(upload);
        try
        {
            await upload.PrefetchAsync(context.RequestAborted);
        }
        catch (BadHttpRequestException ex)
        {
            // The client's body is too large, too slow or cut short: its fault, answered as forwarding answers it.
            feature.ErrorSource = ErrorSources.Client;
            feature.Error = $"{ErrorSources.Client} upload body: {ex.Message}";
            (string code, string title, string message) = ex.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => ("request_too_large", "Request too large", "The request body is larger than this gateway accepts."),
                StatusCodes.Status408RequestTimeout => ("request_timeout", "Request timed out", "The request body arrived too slowly."),
                _ => ("bad_request", "Bad request", "The request could not be read: its body was malformed or cut short."),
            };
            await ResponsePages.WriteAsync(context, ex.StatusCode, code, title, message, decision.App, feature.CorrelationId, feature.At, decision.ClientAppType);
            return;
        }

        feature.Upload = upload;
        if (upload.Refused)
        {
            await AnswerRefusedAsync(context, feature, upload);
            return;
        }

        context.Request.Body = upload;
        try
        {
            await _next(context);
        }
        finally
        {
            feature.File = upload.Decisive;
        }
    }

    /// <summary>
    /// Answers a request whose multipart body was refused, before or during forwarding (the upstream request was then
    /// aborted): the block page for a blocked file, 400 for a body that could not be read unambiguously.
    /// </summary>
    public static Task AnswerRefusedAsync(HttpContext context, GatewayRequestFeature feature, MultipartUploadStream upload)
    {
        feature.File = upload.Decisive;
        if (context.Response.HasStarted)
        {
            context.Abort(); // the upstream answered before it had the whole body; the client must not see it complete
            return Task.CompletedTask;
        }

        return upload.IsBlocked
            ? BlockAsync(context, feature, upload.Decisive!)
            : RefuseMalformedAsync(context, feature, upload.Problem ?? "it could not be read");
    }

    private static Task BlockAsync(HttpContext context, GatewayRequestFeature feature, FileDecision blocked)
    {
        AccessDecision decision = feature.Decision!.Value;
        feature.Error = null;
        feature.ErrorSource = null;
        context.RequestServices.GetRequiredService<ILogger<UploadControlMiddleware>>()
            .UploadBlocked(feature.CorrelationId, decision.App ?? "", blocked.FileName, blocked.Policy);
        return ResponsePages.WriteAsync(
            context, StatusCodes.Status403Forbidden, "upload_blocked", ResponsePages.BlockTitle,
            blocked.BlockMessage ?? ResponsePages.DefaultBlockMessage, decision.App, feature.CorrelationId, feature.At,
            decision.ClientAppType);
    }

    private static Task RefuseMalformedAsync(HttpContext context, GatewayRequestFeature feature, string problem)
    {
        AccessDecision decision = feature.Decision!.Value;
        feature.ErrorSource = ErrorSources.Client;
        feature.Error = $"{ErrorSources.Client} upload body: the multipart body was refused: {problem}.";
        return ResponsePages.WriteAsync(
            context, StatusCodes.Status400BadRequest, "upload_malformed", "Upload not accepted",
            $"The upload was not accepted: {problem}.", decision.App, feature.CorrelationId, feature.At, decision.ClientAppType);
    }
}
