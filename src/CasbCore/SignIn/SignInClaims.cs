using CasbCore.Model;

namespace CasbCore.SignIn;

/// <summary>
/// Reads the user and the groups out of a signed-in session's claims, by the identity provider's UserClaim and
/// GroupClaim. The gateway (claims of the session cookie) and Test-CasbAccess -Claims both go through here, and the
/// gateway refuses a sign-in whose token names no user with the same rule.
/// </summary>
public static class SignInClaims
{
    /// <summary>The claims that can name the user (-UserClaim).</summary>
    public static IReadOnlyList<string> UserClaims { get; } = ["upn", "preferred_username", "email"];

    /// <summary>The claims that can list the user's groups (-GroupClaim).</summary>
    public static IReadOnlyList<string> GroupClaims { get; } = ["groups", "roles"];

    /// <summary>The identity provider's session id (OpenID Connect Front-Channel Logout): a front-channel sign-out must name it.</summary>
    public const string SessionIdClaim = "sid";

    /// <summary>The user's subject at the identity provider: a back-channel logout naming only it ends all of the user's sessions.</summary>
    public const string SubjectClaim = "sub";

    /// <summary>
    /// The claims a gateway session keeps from the ID token: every claim that can name the user or list groups, the
    /// subject and issuer, and the provider's session id. Anything else is dropped so the cookie stays small.
    /// </summary>
    public static IReadOnlyList<string> KeptClaims { get; } = ["sub", "iss", "sid", "name", "upn", "preferred_username", "email", "groups", "roles"];

    /// <summary>The user the claims name by <paramref name="userClaim"/> (in <see cref="UserNames.Canonical"/> form), or null when they name no one.</summary>
    public static string? UserOf(IReadOnlyList<KeyValuePair<string, string>> claims, string userClaim)
    {
        ArgumentNullException.ThrowIfNull(claims);
        foreach (KeyValuePair<string, string> claim in claims)
        {
            if (string.Equals(claim.Key, userClaim, StringComparison.Ordinal) && !string.IsNullOrWhiteSpace(claim.Value))
            {
                return UserNames.Canonical(claim.Value);
            }
        }

        return null;
    }

    /// <summary>The distinct (as <see cref="UserNames.Comparer"/> compares names), non-blank values of <paramref name="groupClaim"/>, in canonical form, in claim order.</summary>
    public static string[] GroupsOf(IReadOnlyList<KeyValuePair<string, string>> claims, string groupClaim)
    {
        ArgumentNullException.ThrowIfNull(claims);
        List<string>? groups = null;
        foreach (KeyValuePair<string, string> claim in claims)
        {
            if (string.Equals(claim.Key, groupClaim, StringComparison.Ordinal) && !string.IsNullOrWhiteSpace(claim.Value))
            {
                string group = UserNames.Canonical(claim.Value);
                groups ??= new List<string>();
                if (!groups.Contains(group, UserNames.Comparer))
                {
                    groups.Add(group);
                }
            }
        }

        return groups is null ? [] : groups.ToArray();
    }

    /// <summary>The user of a session signed in with <paramref name="provider"/>, or null (see <see cref="UserOf(IReadOnlyList{KeyValuePair{string, string}}, string)"/>).</summary>
    public static string? UserOf(IReadOnlyList<KeyValuePair<string, string>> claims, IdentityProviderEntry provider) =>
        UserOf(claims, provider.UserClaim);

    public const string InvalidClaimsErrorId = "InvalidClaims";

    /// <summary>
    /// Claims from text, for a what-if: a JSON object of claims (a token's payload) or a JWT in compact form, whose
    /// payload is read and whose signature is NOT checked (a what-if only asks "what if this token arrived"). An array
    /// value is one claim per element, as the gateway's session keeps a multi-valued claim; a name given twice counts by its last value. Anything else is InvalidClaims.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string json = text.Trim();
        if (!json.StartsWith('{'))
        {
            string[] parts = json.Split('.');
            if (parts.Length != 3)
            {
                throw Invalid("it is neither a JSON object of claims nor a JWT (header.payload.signature)");
            }

            try
            {
                json = System.Text.Encoding.UTF8.GetString(Base64UrlDecode(parts[1]));
            }
            catch (FormatException)
            {
                throw Invalid("the JWT's payload is not base64url");
            }
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                throw Invalid("the claims are not a JSON object");
            }

            var claims = new List<KeyValuePair<string, string>>();
            foreach (System.Text.Json.JsonProperty property in document.RootElement.EnumerateObject())
            {
                // A name given twice is its last value (RFC 7519 section 4), as the gateway's token handler reads an ID token.
                claims.RemoveAll(c => string.Equals(c.Key, property.Name, StringComparison.Ordinal));
                if (property.Value.ValueKind == System.Text.Json.JsonValueKind.Array)
                {
                    foreach (System.Text.Json.JsonElement item in property.Value.EnumerateArray())
                    {
                        claims.Add(new(property.Name, ValueText(item)));
                    }
                }
                else if (property.Value.ValueKind != System.Text.Json.JsonValueKind.Null)
                {
                    claims.Add(new(property.Name, ValueText(property.Value)));
                }
            }

            return claims;
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw Invalid($"the claims are not valid JSON: {ex.Message}");
        }
    }

    private static string ValueText(System.Text.Json.JsonElement value) =>
        value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString()! : value.GetRawText();

    private static byte[] Base64UrlDecode(string text)
    {
        string base64 = text.Replace('-', '+').Replace('_', '/');
        base64 += (base64.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException() };
        return Convert.FromBase64String(base64);
    }

    private static CasbException Invalid(string why) =>
        new(InvalidClaimsErrorId, CasbErrorKind.InvalidArgument, $"The claims cannot be read: {why}.");
}
