namespace CasbGateway.Hosting;

/// <summary>A reason the gateway cannot start; its message is printed on stderr and the process exits non-zero.</summary>
internal sealed class GatewayStartupException : Exception
{
    public GatewayStartupException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
