namespace CasbCore.Model;

/// <summary>Whether the gateway signs users in for an app with the store's identity provider.</summary>
public enum SignInMode
{
    /// <summary>No sign-in: the user comes from the trusted identity header or the client certificate, as before.</summary>
    None,

    /// <summary>A session signed in at /.casb/signin names the user; without one the request is decided as it is.</summary>
    Optional,

    /// <summary>Every request needs a signed-in session: browsers are sent to the identity provider, other clients get 401.</summary>
    Required,
}
