namespace CasbCore.Activity;

/// <summary>What an activity record is about (<see cref="ActivityRecord.Kind"/>).</summary>
public static class ActivityKinds
{
    /// <summary>A request the gateway decided (the record's Kind is left out of the log, to keep the per-request line short).</summary>
    public const string Request = "Request";

    /// <summary>A sign-in at the gateway's /.casb/ endpoints: the identity provider's answer accepted, or refused and why.</summary>
    public const string SignIn = "SignIn";

    /// <summary>A sign-out at the gateway (/.casb/signout, or the identity provider's front-channel sign-out).</summary>
    public const string SignOut = "SignOut";

    /// <summary>The outcome of a sign-in or sign-out (<see cref="ActivityRecord.Outcome"/>).</summary>
    public const string Success = "Success";

    /// <inheritdoc cref="Success"/>
    public const string Failure = "Failure";
}
