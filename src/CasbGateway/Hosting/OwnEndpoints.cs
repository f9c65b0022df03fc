namespace CasbGateway.Hosting;

/// <summary>
/// The paths of the gateway's own endpoints: health (<c>/healthz</c>, <c>/readyz</c>), <c>/metrics</c> and everything
/// under the sign-in prefix <c>/.casb</c>. Every other path belongs to an app.
/// </summary>
internal static class OwnEndpoints
{
    public const string Health = "/healthz";
    public const string Readiness = "/readyz";
    public const string Metrics = "/metrics";

    /// <summary>
    /// False only for a path that no own endpoint can answer, which then goes straight to enforcement without endpoint
    /// routing. True for a path under <c>/.casb</c> in any spelling, and for any path whose first segment is the first
    /// segment of an own endpoint in any case, with or without more after it: a superset of what routing matches
    /// (case-insensitive, a trailing slash allowed), so a path routing would give an own endpoint never skips it.
    /// </summary>
    /// <param name="path">The decoded request path (<c>Request.Path.Value</c>), as routing reads it.</param>
    public static bool MayBeOwn(string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            // Not a path routing reads as one (an asterisk-form or empty target): the long way, as before.
            return true;
        }

        if (SignIn.SignInPaths.IsReserved(path))
        {
            return true;
        }

        int end = path.IndexOf('/', 1);
        ReadOnlySpan<char> first = end < 0 ? path.AsSpan(1) : path.AsSpan(1, end - 1);
        return IsFirstSegment(first, Health) || IsFirstSegment(first, Readiness) || IsFirstSegment(first, Metrics);
    }

    private static bool IsFirstSegment(ReadOnlySpan<char> segment, string endpoint) =>
        segment.Equals(endpoint.AsSpan(1), StringComparison.OrdinalIgnoreCase);
}
