using System.Text.Json;

namespace CasbCore.SignIn;

/// <summary>
/// Entra ID's group overage: a user in more groups than fit in a token (200 in a JWT) gets no <c>groups</c> claim but a
/// pointer to where the groups are (<c>_claim_names</c> and <c>_claim_sources</c>, or <c>hasgroups</c>), and the client
/// reads them with the access token. The pointer of Azure AD Graph (graph.windows.net, retired) is read at Microsoft
/// Graph's <c>me/getMemberObjects</c>, as Microsoft's own libraries do. Pure parsing: the gateway does the request.
/// </summary>
public static class GroupOverage
{
    public const string InvalidErrorId = "GroupOverageInvalid";

    /// <summary>Where Microsoft Graph lists the signed-in user's groups (the access token needs User.Read and GroupMember.Read.All).</summary>
    public static Uri MicrosoftGraphMemberObjects { get; } = new("https://graph.microsoft.com/v1.0/me/getMemberObjects");

    /// <summary>The most groups read for one user; more is refused rather than cut, since a missing group could be the one a policy excludes.</summary>
    public const int MaxGroups = 10_000;

    /// <summary>
    /// The endpoint that lists the user's groups when the claims are an overage for <paramref name="groupClaim"/> ("groups"
    /// only: app roles have no overage), else null. A pointer that is not an absolute https address is GroupOverageInvalid.
    /// </summary>
    public static Uri? EndpointOf(IReadOnlyList<KeyValuePair<string, string>> claims, string groupClaim)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (groupClaim != "groups" || claims.Any(c => c.Key == "groups"))
        {
            return null;
        }

        string? names = claims.FirstOrDefault(c => c.Key == "_claim_names").Value;
        if (names is not null)
        {
            string? source = Property(names, "groups", "_claim_names");
            if (source is not null)
            {
                string sources = claims.FirstOrDefault(c => c.Key == "_claim_sources").Value
                    ?? throw Invalid($"_claim_names points groups to '{source}', but the token has no _claim_sources");
                using JsonDocument document = Parse(sources, "_claim_sources");
                if (!document.RootElement.TryGetProperty(source, out JsonElement entry) || entry.ValueKind != JsonValueKind.Object
                    || !entry.TryGetProperty("endpoint", out JsonElement endpoint) || endpoint.ValueKind != JsonValueKind.String)
                {
                    throw Invalid($"_claim_sources has no endpoint for '{source}'");
                }

                if (!Uri.TryCreate(endpoint.GetString(), UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttps || uri.UserInfo.Length > 0)
                {
                    throw Invalid($"the groups endpoint '{endpoint.GetString()}' is not an absolute https address");
                }

                return uri.Host.Equals("graph.windows.net", StringComparison.OrdinalIgnoreCase) ? MicrosoftGraphMemberObjects : uri;
            }
        }

        // The implicit flow's short form: only "there are groups".
        return claims.Any(c => c.Key == "hasgroups" && string.Equals(c.Value, "true", StringComparison.OrdinalIgnoreCase))
            ? MicrosoftGraphMemberObjects
            : null;
    }

    /// <summary>The group ids of a getMemberObjects answer (<c>{"value": ["id", ...]}</c>); anything else is GroupOverageInvalid.</summary>
    public static string[] ParseMemberObjects(ReadOnlySpan<byte> json)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("value", out JsonElement value) || value.ValueKind != JsonValueKind.Array)
            {
                throw Invalid("the groups endpoint's answer has no value array");
            }

            if (value.GetArrayLength() > MaxGroups)
            {
                throw Invalid($"the groups endpoint lists {value.GetArrayLength()} groups, more than {MaxGroups}");
            }

            var groups = new List<string>(value.GetArrayLength());
            foreach (JsonElement item in value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
                {
                    throw Invalid("the groups endpoint's answer lists something that is not a group id");
                }

                groups.Add(item.GetString()!.Trim());
            }

            return groups.ToArray();
        }
        catch (JsonException ex)
        {
            throw Invalid($"the groups endpoint's answer is not JSON ({ex.Message})");
        }
    }

    private static string? Property(string json, string name, string what)
    {
        using JsonDocument document = Parse(json, what);
        return document.RootElement.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    private static JsonDocument Parse(string json, string what)
    {
        try
        {
            JsonDocument document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw Invalid($"{what} is not a JSON object");
            }

            return document;
        }
        catch (JsonException ex)
        {
            throw Invalid($"{what} is not JSON ({ex.Message})");
        }
    }

    private static CasbException Invalid(string why) =>
        new(InvalidErrorId, CasbErrorKind.InvalidData, $"The token's group overage cannot be followed: {why}.");
}
