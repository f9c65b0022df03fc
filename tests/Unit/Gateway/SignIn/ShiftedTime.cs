namespace CasbModule.Tests.Gateway.SignIn;

/// <summary>The system clock moved forward by <see cref="Offset"/>: lets a test age a gateway session without waiting.</summary>
internal sealed class ShiftedTime : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
