namespace CasbCore.Activity;

/// <summary>What a record is about, as Get-CasbActivity -Activity filters it.</summary>
public enum ActivityKind
{
    /// <summary>A request decided and answered (allowed, monitored or blocked) with no file in it.</summary>
    Access,

    /// <summary>A response that session control decided as a file download.</summary>
    Download,

    /// <summary>A request that session control decided as a file upload.</summary>
    Upload,

    /// <summary>Allowed requests of one user, app and device in one minute, counted in one record (activity volume Summary).</summary>
    Summary,

    /// <summary>A sign-in at the gateway (<see cref="ActivityKinds.SignIn"/>).</summary>
    SignIn,

    /// <summary>A sign-out at the gateway (<see cref="ActivityKinds.SignOut"/>).</summary>
    SignOut,
}
