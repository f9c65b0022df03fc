using System.Net.Http.Headers;
using CasbCore.SignIn;

namespace CasbGateway.SignIn;

/// <summary>
/// Reads the groups of a user whose token had too many to carry (<see cref="GroupOverage"/>): a POST to the endpoint the
/// token named, with the access token of the same sign-in, over the same TLS trust as the identity provider.
/// </summary>
internal static class GroupOverageClient
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const int MaxAnswerBytes = 4 * 1024 * 1024;

    /// <exception cref="GroupLookupException">The groups could not be read; the sign-in fails closed.</exception>
    public static async Task<string[]> FetchAsync(SignInState signIn, Uri endpoint, string accessToken, CancellationToken cancel)
    {
        using var client = new HttpClient(AuthorityTrust.CreateHandler(signIn.AuthorityCertificate, Timeout)) { Timeout = Timeout, MaxResponseContentBufferSize = MaxAnswerBytes };
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent("""{"securityEnabledOnly":false}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        try
        {
            using HttpResponseMessage response = await client.SendAsync(request, cancel);
            if (!response.IsSuccessStatusCode)
            {
                throw new GroupLookupException($"{endpoint} answered {(int)response.StatusCode} {response.ReasonPhrase} (the access token may lack GroupMember.Read.All)");
            }

            return GroupOverage.ParseMemberObjects(await response.Content.ReadAsByteArrayAsync(cancel));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException or CasbCore.CasbException && !cancel.IsCancellationRequested)
        {
            throw new GroupLookupException($"the groups of the user could not be read at {endpoint}: {ex.Message}", ex);
        }
    }
}

/// <summary>A user's groups could not be read (group overage): the sign-in fails closed, since a missing group may be one a policy excludes.</summary>
internal sealed class GroupLookupException(string message, Exception? inner = null) : Exception(message, inner);
