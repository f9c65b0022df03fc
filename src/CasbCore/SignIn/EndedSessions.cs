using System.Text.Json;
using CasbCore.Store;

namespace CasbCore.SignIn;

/// <summary>
/// The gateway sessions signed out before they expired, in one small shared blob of the store
/// (<see cref="StoreBlobNames.EndedSessions"/>: <c>{"ended":{"&lt;session id&gt;":"&lt;expiry&gt;"}}</c>), so that every gateway on
/// the store treats a copy of a signed-out session's cookie as no session. Not part of the configuration: a sign-out
/// is no new revision, and no gateway recompiles its policies for it. An entry is kept until the session would have
/// expired (plus <see cref="ClockMargin"/> for the gateways' clocks), and each sign-out prunes the entries past that,
/// so the list holds at most the sign-outs of one session lifetime.
/// <para>
/// Besides a session id (128 random bits, base64url: never a space), a key can end sessions by what the identity
/// provider's back-channel logout names: <c>"sid &lt;provider id&gt; &lt;sid&gt;"</c> (every session with that provider
/// session id) and <c>"sub &lt;provider id&gt; &lt;unix ms&gt; &lt;sub&gt;"</c> (every session of that subject issued before that
/// time), each with the time its entry may be pruned as its value. They live in the same <c>ended</c> object, so a
/// gateway of the version before them reads, prunes and rewrites the list without dropping them. With either, the
/// logout token's <c>"jti &lt;provider id&gt; &lt;jti&gt;"</c> (<see cref="LogoutTokenKey"/>) is written in the same replace, kept
/// while the token could be taken, so that a replay of it to any gateway of the store is refused (<see cref="RecordUnlessUsed"/>).
/// </para>
/// <para>
/// An admin's Revoke-CasbSession adds <c>"user &lt;unix ms&gt; &lt;user name&gt;"</c> (<see cref="UserKey"/>): every session whose
/// user (the identity provider's UserClaim, as enforcement reads it) is that name, compared as policies compare user names
/// (<see cref="UserNames"/>), issued before that time, whichever identity provider signed it in. A gateway of a version
/// before it keeps the key (it prunes by value only) but does not refuse those sessions.
/// </para>
/// </summary>
public static class EndedSessions
{
    public const string BlobName = StoreBlobNames.EndedSessions;

    /// <summary>How long an entry outlives its session's expiry: a gateway whose clock is behind still refuses the session.</summary>
    public static readonly TimeSpan ClockMargin = TimeSpan.FromMinutes(5);

    private const int MaxAttempts = 20;

    private const string SidPrefix = "sid ";
    private const string SubjectPrefix = "sub ";
    private const string UserPrefix = "user ";
    private const string LogoutTokenPrefix = "jti ";

    /// <summary>The key that ends every session of the identity provider's session <paramref name="sid"/> (back-channel logout).</summary>
    public static string ProviderSessionKey(string providerId, string sid) => SidPrefix + providerId + " " + sid;

    /// <summary>The key that ends every session of <paramref name="subject"/> issued before <paramref name="before"/> (back-channel logout naming only sub).</summary>
    public static string SubjectKey(string providerId, string subject, DateTimeOffset before) =>
        SubjectPrefix + providerId + " " + before.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + subject;

    /// <summary>
    /// The key that marks a back-channel logout token (its <paramref name="jti"/>) as taken (<see cref="RecordUnlessUsed"/>).
    /// It ends no session; a gateway of a version before it keeps it on its rewrites (it prunes by value only).
    /// </summary>
    public static string LogoutTokenKey(string providerId, string jti) => LogoutTokenPrefix + providerId + " " + jti;

    /// <summary>The subject (as <c>"&lt;provider id&gt; &lt;sub&gt;"</c>) and time of a <see cref="SubjectKey"/>; false for any other key.</summary>
    public static bool TryParseSubjectKey(string key, out string providerSubject, out DateTimeOffset before)
    {
        providerSubject = "";
        before = default;
        if (!key.StartsWith(SubjectPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        string[] parts = key.Split(' ', 4);
        if (parts.Length != 4 || !long.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long ms)
            || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return false;
        }

        providerSubject = parts[1] + " " + parts[3];
        before = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    /// <summary>The key that ends every session of <paramref name="user"/> (its canonical form, <see cref="UserNames.Canonical"/>) issued before <paramref name="before"/> (Revoke-CasbSession).</summary>
    public static string UserKey(string user, DateTimeOffset before) =>
        UserPrefix + before.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + UserNames.Canonical(user);

    /// <summary>The user and time of a <see cref="UserKey"/>; false for any other key (or one naming no user).</summary>
    public static bool TryParseUserKey(string key, out string user, out DateTimeOffset before)
    {
        user = "";
        before = default;
        if (!key.StartsWith(UserPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        // A user name may hold spaces: it is everything after the time.
        string[] parts = key.Split(' ', 3);
        if (parts.Length != 3 || !long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long ms)
            || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() || string.IsNullOrWhiteSpace(parts[2]))
        {
            return false;
        }

        user = UserNames.Canonical(parts[2]);
        before = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    /// <summary>
    /// Ends every gateway session of <paramref name="user"/> signed in before <paramref name="now"/>, on every gateway of the
    /// store, whichever identity provider signed it in (Revoke-CasbSession): one <see cref="Record"/> of a <see cref="UserKey"/>,
    /// kept until the longest a session issued before now can live (<see cref="IdentityProviderRules.MaxSessionLifetimeMinutes"/>:
    /// a ticket keeps the lifetime it was issued with, which may have been longer than the provider's lifetime now) plus
    /// <see cref="ClockMargin"/>. A user signing in afterwards gets a session it does not end. Throws InvalidUserName
    /// for a blank name, InvalidName for one with a control, bidi or lone surrogate character (<see cref="Catalogs.ItemNames.CharacterProblem"/>), and the store's CasbException (StoreConflict, EndedSessionsInvalid, ...) when the list cannot be
    /// read or written: nothing is written then.
    /// </summary>
    public static RevokedSessions RevokeUser(IConfigurationStore store, string user, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (string.IsNullOrWhiteSpace(user))
        {
            throw new CasbException(InvalidUserNameErrorId, CasbErrorKind.InvalidArgument, "The user name is empty.", user);
        }

        // "bob\x1b" would be stored and end nobody's session while the admin believes bob's ended.
        Catalogs.ItemNames.ThrowIfUnfit(user, "The user name");

        // Whole milliseconds, as the key holds them: the time reported is the one every gateway compares with.
        DateTimeOffset before = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        string canonical = UserNames.Canonical(user);
        Record(store, UserKey(canonical, before), before + TimeSpan.FromMinutes(IdentityProviderRules.MaxSessionLifetimeMinutes), now);
        return new RevokedSessions(canonical, before);
    }

    public const string InvalidUserNameErrorId = "InvalidUserName";

    /// <summary>
    /// Adds <paramref name="sessionId"/> (a session id, or a <see cref="ProviderSessionKey"/> or <see cref="SubjectKey"/>), ended until <paramref name="expires"/>, and prunes the expired entries, as one
    /// compare-and-replace of the blob (another gateway's sign-out meanwhile makes it read and try again). Throws the
    /// store's CasbException when the list cannot be read or written (StoreConflict after many attempts lost to others;
    /// EndedSessionsInvalid when it does not parse): the session has not ended then.
    /// </summary>
    public static void Record(IConfigurationStore store, string sessionId, DateTimeOffset expires, DateTimeOffset now) =>
        RecordWithMarker(store, sessionId, expires, null, default, now);

    /// <summary>
    /// <see cref="Record"/> of a back-channel logout's key together with its token's <paramref name="marker"/>
    /// (<see cref="LogoutTokenKey"/>, kept until <paramref name="markerExpires"/>), in the same compare-and-replace, unless the
    /// marker is in the list already: false then, and nothing is written. So a logout token is taken once by all the gateways
    /// of the store, whichever it is replayed to, and after a restart. Throws as <see cref="Record"/> does.
    /// </summary>
    public static bool RecordUnlessUsed(
        IConfigurationStore store, string sessionId, DateTimeOffset expires, string marker, DateTimeOffset markerExpires, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(marker);
        return RecordWithMarker(store, sessionId, expires, marker, markerExpires, now);
    }

    private static bool RecordWithMarker(
        IConfigurationStore store, string sessionId, DateTimeOffset expires, string? marker, DateTimeOffset markerExpires, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        for (int attempt = 1; ; attempt++)
        {
            byte[]? before = store.ReadBlob(BlobName);
            Dictionary<string, DateTimeOffset> ended = Parse(before, store.Location);
            foreach (string expired in ended.Where(e => e.Value + ClockMargin <= now).Select(e => e.Key).ToList())
            {
                ended.Remove(expired);
            }

            if (marker is not null)
            {
                // Read in the attempt that writes: two gateways taking the same token at once cannot both find it absent.
                if (ended.ContainsKey(marker))
                {
                    return false;
                }

                ended[marker] = markerExpires;
            }

            if (!ended.TryGetValue(sessionId, out DateTimeOffset until) || until < expires)
            {
                ended[sessionId] = expires;
            }

            byte[] after = JsonSerializer.SerializeToUtf8Bytes(new Document { Ended = ended });
            if (before is null ? store.TryAddBlob(BlobName, after) : store.TryReplaceBlob(BlobName, before, after))
            {
                return true;
            }

            if (attempt == MaxAttempts)
            {
                throw new CasbException("StoreConflict", CasbErrorKind.ResourceBusy,
                    $"The list of ended sessions in '{store.Location}' changed under this sign-out {MaxAttempts} times in a row; nothing was written.", store.Location);
            }

            Thread.Sleep(Random.Shared.Next(2, 10 * Math.Min(attempt, 5)));
        }
    }

    /// <summary>The ended sessions and their expiry as the store holds them now (none when it has no list).</summary>
    public static IReadOnlyDictionary<string, DateTimeOffset> Read(IConfigurationStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Parse(store.ReadBlob(BlobName), store.Location);
    }

    /// <summary>The list's content; a list that does not parse is never read as empty (that would revive every session in it).</summary>
    public static Dictionary<string, DateTimeOffset> Parse(byte[]? content, string location)
    {
        if (content is null)
        {
            return new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        }

        try
        {
            Dictionary<string, DateTimeOffset>? ended = JsonSerializer.Deserialize<Document>(content)?.Ended;
            return ended is null
                ? throw new JsonException("no 'ended' object")
                : new Dictionary<string, DateTimeOffset>(ended, StringComparer.Ordinal);
        }
        catch (JsonException ex)
        {
            throw new CasbException("EndedSessionsInvalid", CasbErrorKind.InvalidData,
                $"The list of ended sessions '{BlobName}' in '{location}' cannot be read: {ex.Message}", location, ex);
        }
    }

    /// <summary>What <see cref="RevokeUser"/> recorded: the user (canonical form) whose sessions issued before <paramref name="RevokedBefore"/> end.</summary>
    public sealed record RevokedSessions(string UserName, DateTimeOffset RevokedBefore);

    private sealed class Document
    {
        [System.Text.Json.Serialization.JsonPropertyName("ended")]
        public Dictionary<string, DateTimeOffset>? Ended { get; set; }
    }
}
