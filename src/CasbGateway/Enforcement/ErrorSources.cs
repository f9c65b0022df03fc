namespace CasbGateway.Enforcement;

/// <summary>Whose fault a failed request is, as the activity record's errorSource says.</summary>
internal static class ErrorSources
{
    /// <summary>The client broke the request: a malformed body, a reset stream, a closed connection.</summary>
    public const string Client = "Client";

    /// <summary>The app's upstream is down, reset the request or did not answer in time.</summary>
    public const string Upstream = "Upstream";

    /// <summary>The gateway could not evaluate the request and failed closed.</summary>
    public const string Gateway = "Gateway";
}
