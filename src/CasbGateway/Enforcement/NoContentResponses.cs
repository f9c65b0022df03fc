using System.Net;

namespace CasbGateway.Enforcement;

/// <summary>
/// The statuses that never carry content whatever their framing says (RFC 9110 15.3.5 and 15.3.6): a 204 or a 205 is
/// passed on as its status and headers only, as a browser reads it (Chromium and Firefox read no body after either).
/// HttpClient reads a body after them as the app framed it, and Kestrel may write none: a 204 with a stray
/// "Content-Length: 5" (an app that set the length before the status) was Kestrel's 500 to the client and recorded as 204;
/// a 205 with a length and no body (Express 4's res.sendStatus(205) sends one) waited for bytes that never came, until
/// the upstream timeout or the app's close made it a 502 counted against the app. nginx drops the length of a 204 too.
/// A 304 and the answer to a HEAD keep their Content-Length (the length of the representation, RFC 9110 8.6), which
/// both HttpClient and Kestrel already read as no body.
/// </summary>
internal static class NoContentResponses
{
    /// <summary>True for a status whose answer the gateway passes on without reading or writing a body.</summary>
    public static bool HasNoContent(HttpStatusCode status) => status is HttpStatusCode.NoContent or HttpStatusCode.ResetContent;

    /// <summary>
    /// Takes the app's framing off a response that has no content: a 204 gets no Content-Length (RFC 9110 8.6: a server
    /// must not send one), a 205 Kestrel's "Content-Length: 0" (15.3.6 asks for it or a close).
    /// </summary>
    public static void ClearFraming(HttpResponse response) => response.ContentLength = null;
}
