using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace CasbCore.SignIn;

/// <summary>
/// Fetches and checks an authority's OpenID Connect discovery document when the identity provider is written, so a
/// wrong authority is an error at Set- time and not at the first user's sign-in. Error ids (API):
/// IdentityProviderUnreachable (no answer, TLS failure, timeout, an HTTP error), IdentityProviderMetadataInvalid (not a
/// discovery document, or no authorization-code support), IdentityProviderIssuerMismatch (the document names another
/// issuer: tokens would then never validate).
/// </summary>
public static class IdentityProviderMetadataClient
{
    public const string Unreachable = "IdentityProviderUnreachable";
    public const string MetadataInvalid = "IdentityProviderMetadataInvalid";
    public const string IssuerMismatch = "IdentityProviderIssuerMismatch";
    public const string WellKnownPath = "/.well-known/openid-configuration";

    private const int MaxDocumentBytes = 1024 * 1024;

    /// <summary>The discovery document's address for an authority.</summary>
    public static Uri MetadataAddress(string authority) => new(authority.TrimEnd('/') + WellKnownPath);

    public static async Task<IdentityProviderMetadata> FetchAsync(
        string authority, X509Certificate2? authorityCertificate, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (IdentityProviderRules.AuthorityProblem(authority) is { } problem)
        {
            throw new CasbException(IdentityProviderRules.AuthorityInvalid, CasbErrorKind.InvalidArgument, $"The authority '{authority}' is invalid: {problem}.", authority);
        }

        Uri address = MetadataAddress(authority);
        byte[] body;
        using (var client = new HttpClient(AuthorityTrust.CreateHandler(authorityCertificate, timeout)) { Timeout = timeout })
        {
            try
            {
                using HttpResponseMessage response = await client.GetAsync(address, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw Fail(Unreachable, CasbErrorKind.ConnectionError, authority,
                        $"{address} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
                }

                if (response.Content.Headers.ContentLength is > MaxDocumentBytes)
                {
                    throw Fail(MetadataInvalid, CasbErrorKind.InvalidData, authority, $"{address} is larger than 1 MB.");
                }

                body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw Fail(Unreachable, CasbErrorKind.ConnectionError, authority, $"{address} cannot be reached: {Innermost(ex)}", ex);
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw Fail(Unreachable, CasbErrorKind.OperationTimeout, authority, $"{address} did not answer within {timeout.TotalSeconds:0} s.", ex);
            }
        }

        return Parse(body, authority, address);
    }

    /// <summary>Checks a discovery document fetched from <paramref name="address"/> for <paramref name="authority"/>.</summary>
    public static IdentityProviderMetadata Parse(ReadOnlySpan<byte> body, string authority, Uri address)
    {
        JsonElement root;
        try
        {
            using JsonDocument document = JsonDocument.Parse(body.ToArray());
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw Fail(MetadataInvalid, CasbErrorKind.InvalidData, authority, $"{address} is not a JSON discovery document: {ex.Message}", ex);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Fail(MetadataInvalid, CasbErrorKind.InvalidData, authority, $"{address} is not a JSON object.");
        }

        string Required(string name)
        {
            if (root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
            {
                return text;
            }

            throw Fail(MetadataInvalid, CasbErrorKind.InvalidData, authority, $"{address} has no '{name}'.");
        }

        string issuer = Required("issuer");
        string authorization = Required("authorization_endpoint");
        string token = Required("token_endpoint");
        string jwks = Required("jwks_uri");
        string? endSession = root.TryGetProperty("end_session_endpoint", out JsonElement end) && end.ValueKind == JsonValueKind.String ? end.GetString() : null;

        if (root.TryGetProperty("response_types_supported", out JsonElement types) && types.ValueKind == JsonValueKind.Array
            && !types.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && t.GetString()!.Split(' ').Contains("code")))
        {
            throw Fail(MetadataInvalid, CasbErrorKind.InvalidData, authority, $"{address} does not offer the authorization-code flow (response type 'code').");
        }

        if (!string.Equals(issuer.TrimEnd('/'), authority.TrimEnd('/'), StringComparison.Ordinal))
        {
            throw Fail(IssuerMismatch, CasbErrorKind.InvalidData, authority,
                $"The authority '{authority}' names the issuer '{issuer}': tokens would never validate. Use the issuer as the authority (for Entra ID, https://login.microsoftonline.com/<tenant id>/v2.0).");
        }

        return new IdentityProviderMetadata(issuer, authorization, token, jwks, endSession, DateTimeOffset.UtcNow);
    }

    private static CasbException Fail(string id, CasbErrorKind kind, string authority, string message, Exception? inner = null) =>
        new(id, kind, $"The identity provider at '{authority}' cannot be used: {message}", authority, inner);

    private static string Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex.Message;
    }
}
