using System.Collections.Frozen;
using CasbCore;
using CasbCore.SignIn;
using CasbCore.Store;
using CasbGateway.Configuration;

namespace CasbGateway.SignIn;

/// <summary>
/// This gateway's copy of the store's ended sessions (<see cref="EndedSessions"/>), read on the configuration monitor's
/// beat (every poll and change hint; a database store announces a sign-out at once) while a configuration signs users
/// in, and looked up when a session cookie is read: a set lookup, on requests of apps that sign users in only. A list
/// that cannot be read keeps the one read last, as a store that cannot be read keeps the last good revision serving: a
/// sign-out is recorded in the same store, so one that could not be read then could seldom be written either.
/// </summary>
internal sealed partial class EndedSessionSet
{
    private readonly IConfigurationStore _store;
    private readonly ILogger<EndedSessionSet> _logger;
    private readonly object _lock = new();
    private Index _ended = Index.Empty;
    private byte[]? _read;
    private string? _problem;

    public EndedSessionSet(IConfigurationStore store, ILogger<EndedSessionSet> logger)
    {
        _store = store;
        _logger = logger;
    }

    /// <summary>Why the list last failed to be read (the set read before it is in use), or null.</summary>
    public string? Problem => Volatile.Read(ref _problem);

    /// <summary>Whether this gateway's copy of the list holds <paramref name="key"/> (a session id, or a logout token's marker).</summary>
    public bool Contains(string key) => Volatile.Read(ref _ended).Keys.Contains(key);

    /// <summary>
    /// Whether the session is ended: its own id signed out, its provider session (<paramref name="sid"/>) ended by the
    /// provider's back-channel logout, or its subject's sessions ended so by a logout the gateway that signed it in had not
    /// seen (<see cref="Seen"/>).
    /// </summary>
    public bool Ends(string sessionId, string providerId, string? sid, string? subject, DateTimeOffset issued, string? seen)
    {
        Index ended = Volatile.Read(ref _ended);
        if (ended.Keys.Count == 0)
        {
            return false;
        }

        return ended.Keys.Contains(sessionId)
            || (!string.IsNullOrEmpty(sid) && ended.Keys.Contains(EndedSessions.ProviderSessionKey(providerId, sid)))
            || (!string.IsNullOrEmpty(subject) && ended.Subjects.TryGetValue(providerId + " " + subject, out long[]? times)
                && EndsAny(times, issued, seen, SubjectMark));
    }

    /// <summary>
    /// Whether an admin revoked the sessions of the session's user (Revoke-CasbSession, <see cref="EndedSessions.UserKey"/>)
    /// in a revocation the gateway that signed it in had not seen (<see cref="Seen"/>). The user is read from the claims by
    /// the identity provider's UserClaim as enforcement reads it
    /// (<see cref="SignInClaims.UserOf(IReadOnlyList{KeyValuePair{string, string}}, string)"/>), and looked up with
    /// <see cref="UserNames.Comparer"/>; nothing is read while no user is revoked.
    /// </summary>
    public bool EndsUser(System.Security.Claims.ClaimsPrincipal principal, string userClaim, DateTimeOffset issued, string? seen)
    {
        Index ended = Volatile.Read(ref _ended);
        if (ended.Users.Count == 0)
        {
            return false;
        }

        return SignInSchemes.UserOf(principal, userClaim) is { } user && ended.Users.TryGetValue(user, out long[]? times) && EndsAny(times, issued, seen, UserMark);
    }

    /// <summary>
    /// What a new session's ticket keeps (<see cref="SignInSchemes.EndedSeenItem"/>): the times of the revocations of its
    /// user and of the back-channel logouts of its subject that this gateway has read when it signs the session in, the
    /// list read again first. A revocation is "sessions signed in before it": the sessions it ends are those whose gateway
    /// had not seen it, whatever that gateway's clock said and whatever the clock of the admin or the gateway that wrote it
    /// said. A sign-in between a revocation's write and this read (a few milliseconds) is ended with the earlier ones.
    /// </summary>
    public string Seen(string providerId, string? subject, string? user)
    {
        Refresh();
        Index ended = Volatile.Read(ref _ended);
        IEnumerable<string> marks = [];
        if (!string.IsNullOrEmpty(subject) && ended.Subjects.TryGetValue(providerId + " " + subject, out long[]? subjects))
        {
            marks = marks.Concat(subjects.Select(t => SubjectMark + t.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (user is not null && ended.Users.TryGetValue(user, out long[]? users))
        {
            marks = marks.Concat(users.Select(t => UserMark + t.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return string.Join(' ', marks);
    }

    private const char SubjectMark = 's';
    private const char UserMark = 'u';

    /// <summary>
    /// Whether one of the revocations at <paramref name="times"/> ends the session: one its gateway had not seen at sign-in;
    /// for a ticket from before <see cref="Seen"/> (none kept), one later than its issue time by the gateway's clock.
    /// </summary>
    private static bool EndsAny(long[] times, DateTimeOffset issued, string? seen, char mark)
    {
        if (seen is null)
        {
            return issued.ToUnixTimeMilliseconds() < times[^1];
        }

        string[] marks = seen.Split(' ');
        return times.Any(time => !marks.Contains(mark + time.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal));
    }

    /// <summary>Reads the store's list again; false (logged once per reason) when it cannot be read.</summary>
    public bool Refresh()
    {
        lock (_lock)
        {
            try
            {
                byte[]? content = _store.ReadBlob(EndedSessions.BlobName);
                if (content is not null && _read is not null && content.AsSpan().SequenceEqual(_read))
                {
                    Healthy();
                    return true;
                }

                Dictionary<string, DateTimeOffset> ended = EndedSessions.Parse(content, _store.Location);
                Volatile.Write(ref _ended, Index.Of(ended.Keys));
                _read = content;
                Healthy();
                return true;
            }
            catch (CasbException ex)
            {
                if (Volatile.Read(ref _problem) != ex.Message)
                {
                    Volatile.Write(ref _problem, ex.Message);
                    LogNotRead(ex.Message);
                }

                return false;
            }
        }
    }

    /// <summary>
    /// Records the session (or a back-channel logout's sid or subject key, <see cref="EndedSessions"/>) as ended in the
    /// store for every gateway, then here at once. Throws the store's CasbException
    /// when it cannot be recorded: the session has not ended anywhere then.
    /// </summary>
    public void End(string sessionId, DateTimeOffset expires, DateTimeOffset now)
    {
        // Under the lock: a refresh that read the list before this write cannot swap in a set without it afterwards.
        lock (_lock)
        {
            EndedSessions.Record(_store, sessionId, expires, now);
            Volatile.Write(ref _ended, Index.Of(Volatile.Read(ref _ended).Keys.Append(sessionId)));
            _read = null;
        }
    }

    /// <summary>
    /// <see cref="End"/> of a back-channel logout's key, with its token's marker (<see cref="EndedSessions.RecordUnlessUsed"/>)
    /// in the same write: false, and nothing ended, when another gateway of the store (or this one before a restart) took
    /// the token already.
    /// </summary>
    public bool EndUnlessUsed(string key, DateTimeOffset expires, string marker, DateTimeOffset markerExpires, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!EndedSessions.RecordUnlessUsed(_store, key, expires, marker, markerExpires, now))
            {
                return false;
            }

            Volatile.Write(ref _ended, Index.Of(Volatile.Read(ref _ended).Keys.Append(key).Append(marker)));
            _read = null;
            return true;
        }
    }

    /// <summary>
    /// Ends a sign-in session by its ticket (<see cref="End"/>): its id, until the ticket expires (the longest lifetime a
    /// session may have when the ticket says nothing). Null when the ticket has no id (issued before ids: refused anyway).
    /// </summary>
    public string? EndSession(Microsoft.AspNetCore.Authentication.AuthenticationProperties properties, DateTimeOffset now)
    {
        if (SignInSchemes.SessionIdOf(properties) is not { } sessionId)
        {
            return null;
        }

        End(sessionId, properties.ExpiresUtc ?? now + TimeSpan.FromMinutes(CasbCore.SignIn.IdentityProviderRules.MaxSessionLifetimeMinutes), now);
        return sessionId;
    }

    /// <summary>Follows the store while the configuration served signs users in (a gateway without sign-in never reads it).</summary>
    public void Follow(ConfigurationMonitor monitor)
    {
        monitor.Checked += () =>
        {
            if (monitor.Current?.SignIn is not null)
            {
                Refresh();
            }
        };
    }

    /// <summary>
    /// The keys; for each subject ended by a back-channel logout, and each user revoked by an admin, the times (unix ms,
    /// ascending) before which its sessions end.
    /// </summary>
    private sealed record Index(FrozenSet<string> Keys, FrozenDictionary<string, long[]> Subjects, FrozenDictionary<string, long[]> Users)
    {
        public static readonly Index Empty = new(
            FrozenSet<string>.Empty, FrozenDictionary<string, long[]>.Empty, FrozenDictionary<string, long[]>.Empty);

        public static Index Of(IEnumerable<string> keys)
        {
            FrozenSet<string> set = keys.ToFrozenSet(StringComparer.Ordinal);
            var subjects = new Dictionary<string, SortedSet<long>>(StringComparer.Ordinal);
            var users = new Dictionary<string, SortedSet<long>>(UserNames.Comparer);
            foreach (string key in set)
            {
                if (EndedSessions.TryParseSubjectKey(key, out string subject, out DateTimeOffset before))
                {
                    Add(subjects, subject, before);
                }
                else if (EndedSessions.TryParseUserKey(key, out string user, out before))
                {
                    Add(users, user, before);
                }
            }

            return new Index(
                set,
                subjects.ToFrozenDictionary(s => s.Key, s => s.Value.ToArray(), StringComparer.Ordinal),
                users.ToFrozenDictionary(u => u.Key, u => u.Value.ToArray(), UserNames.Comparer));
        }

        private static void Add(Dictionary<string, SortedSet<long>> times, string name, DateTimeOffset before)
        {
            if (!times.TryGetValue(name, out SortedSet<long>? known))
            {
                times[name] = known = [];
            }

            known.Add(before.ToUnixTimeMilliseconds());
        }
    }

    private void Healthy()
    {
        if (Interlocked.Exchange(ref _problem, null) is not null)
        {
            LogReadAgain();
        }
    }

    [LoggerMessage(EventId = 45, Level = LogLevel.Warning, Message = "The list of ended sign-in sessions cannot be read ({Reason}); the list read before it stays in use.")]
    private partial void LogNotRead(string reason);

    [LoggerMessage(EventId = 46, Level = LogLevel.Information, Message = "The list of ended sign-in sessions is read again.")]
    private partial void LogReadAgain();
}
