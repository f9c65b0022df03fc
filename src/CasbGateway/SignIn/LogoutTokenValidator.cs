using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace CasbGateway.SignIn;

/// <summary>
/// Validates an OpenID Connect Back-Channel Logout 1.0 logout token (section 2.6) with the identity provider's signing
/// keys from the metadata the OpenID Connect handler uses: signature, issuer, audience (the client id), iat and exp, the
/// back-channel logout event, sid or sub, no nonce (an ID token is never taken for a logout token), a jti. That a jti is
/// taken once is the store's list's to say, for every gateway of the store (<see cref="BackChannelLogout"/>).
/// </summary>
internal sealed class LogoutTokenValidator
{
    public const string LogoutEvent = "http://schemas.openid.net/event/backchannel-logout";

    /// <summary>How far the provider's clock may be from ours.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>How old a logout token may be when it arrives (iat), whatever its exp says.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(10);

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>
    /// The logout token's sid, sub and jti. Throws <see cref="LogoutTokenException"/> for a token that is not valid;
    /// anything else (the metadata cannot be read) means the provider cannot be checked now.
    /// </summary>
    public async Task<LogoutToken> ValidateAsync(
        string token, IConfigurationManager<OpenIdConnectConfiguration> metadata, string clientId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || !_handler.CanReadToken(token))
        {
            throw new LogoutTokenException("the logout_token is missing or is not a JWT");
        }

        OpenIdConnectConfiguration configuration = await metadata.GetConfigurationAsync(cancellationToken);
        TokenValidationResult result = await _handler.ValidateTokenAsync(token, Parameters(configuration, clientId));
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The provider may have rolled its keys since the metadata was read (the refresh is rate-limited by the manager).
            metadata.RequestRefresh();
            configuration = await metadata.GetConfigurationAsync(cancellationToken);
            result = await _handler.ValidateTokenAsync(token, Parameters(configuration, clientId));
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            // The provider is told what failed in a few words; the log has the whole exception.
            throw new LogoutTokenException(result.Exception switch
            {
                SecurityTokenInvalidAudienceException => "the logout token's audience is not this client",
                SecurityTokenInvalidIssuerException => "the logout token's issuer is not the identity provider",
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the logout token's signature is not the identity provider's",
                SecurityTokenInvalidAlgorithmException => "the logout token's signing algorithm is not accepted",
                _ => "the logout token is not valid",
            }, result.Exception);
        }

        if (jwt.Typ is { Length: > 0 } typ && !typ.Equals("logout+jwt", StringComparison.OrdinalIgnoreCase) && !typ.Equals("JWT", StringComparison.OrdinalIgnoreCase))
        {
            throw new LogoutTokenException($"the token's type is '{typ}', not logout+jwt");
        }

        if (!jwt.TryGetPayloadValue("iat", out long iat))
        {
            throw new LogoutTokenException("the logout token has no iat");
        }

        DateTimeOffset issued = DateTimeOffset.FromUnixTimeSeconds(iat);
        if (issued > now + ClockSkew || issued < now - MaxAge - ClockSkew)
        {
            throw new LogoutTokenException($"the logout token was issued at {issued:O}, too far from now");
        }

        if (!jwt.TryGetPayloadValue("exp", out long exp))
        {
            throw new LogoutTokenException("the logout token has no exp");
        }

        DateTimeOffset expires = DateTimeOffset.FromUnixTimeSeconds(exp);
        if (expires + ClockSkew <= now)
        {
            throw new LogoutTokenException($"the logout token expired at {expires:O}");
        }

        if (!HasLogoutEvent(jwt))
        {
            throw new LogoutTokenException($"the logout token's events claim has no member '{LogoutEvent}'");
        }

        if (jwt.TryGetClaim("nonce", out _))
        {
            throw new LogoutTokenException("the logout token has a nonce claim (an ID token is not a logout token)");
        }

        string? sid = jwt.TryGetClaim("sid", out Claim? sidClaim) && sidClaim.Value.Length > 0 ? sidClaim.Value : null;
        string? subject = jwt.Subject is { Length: > 0 } sub ? sub : null;
        if (sid is null && subject is null)
        {
            throw new LogoutTokenException("the logout token names neither a sid nor a sub");
        }

        if (jwt.Id is not { Length: > 0 } jti)
        {
            throw new LogoutTokenException("the logout token has no jti");
        }

        // Remembered while it could be taken: until its exp, but never past the age at which its iat refuses it anyway (a
        // provider's distant exp would otherwise keep its marker in the store's list as long).
        return new LogoutToken(sid, subject, jti, (expires < issued + MaxAge ? expires : issued + MaxAge) + ClockSkew);
    }

    private static TokenValidationParameters Parameters(OpenIdConnectConfiguration configuration, string clientId) => new()
    {
        ValidIssuer = configuration.Issuer,
        ValidateIssuer = true,
        ValidAudience = clientId,
        ValidateAudience = true,
        IssuerSigningKeys = configuration.SigningKeys,
        RequireSignedTokens = true,
        // iat and exp are checked against the gateway's clock afterwards (exp is required, as section 2.4 says).
        ValidateLifetime = false,
        RequireExpirationTime = false,
    };

    private static bool HasLogoutEvent(JsonWebToken jwt)
    {
        if (!jwt.TryGetClaim("events", out Claim? events))
        {
            return false;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(events.Value);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(LogoutEvent, out JsonElement logout)
                && logout.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>What a valid logout token names, its jti, and until when its jti is remembered in the store's list.</summary>
internal sealed record LogoutToken(string? Sid, string? Subject, string Jti, DateTimeOffset Until);

/// <summary>A logout token the gateway refuses (400 invalid_request), with why.</summary>
internal sealed class LogoutTokenException(string message, Exception? inner = null) : Exception(message, inner);
