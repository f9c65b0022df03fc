namespace CasbCore.SignIn;

/// <summary>What an identity provider's /.well-known/openid-configuration says, as far as the gateway needs it.</summary>
public sealed record IdentityProviderMetadata(
    string Issuer,
    string AuthorizationEndpoint,
    string TokenEndpoint,
    string JwksUri,
    string? EndSessionEndpoint,
    DateTimeOffset RetrievedAt);
