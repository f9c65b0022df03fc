using System.Collections.Concurrent;
using CasbCore.Model;
using CasbCore.SignIn;

namespace CasbCore.Activity;

/// <summary>
/// Activity volume <see cref="ActivityVolume.Summary"/>: lets through verbatim every block, every request session
/// control decided, every failed request and the first request of each session (a user, app and device this gateway
/// has not seen for <see cref="SessionIdle"/>), and counts the other allowed requests per user, app, device and minute
/// of their time. <see cref="Flush"/> turns each minute, once it is over (plus a grace period for requests still
/// running), into one Summary record: the first request's record with the count, the bytes summed, and the first and
/// last time.
/// </summary>
/// <remarks>
/// Request threads lock only their own user, app and device (a session), never the whole summarizer, and a request
/// counted into a minute that already has its Summary needs no record at all (<see cref="TryCountRepeat"/>): the
/// record is built only for what is kept verbatim and for the first request of each minute, whose fields the Summary
/// keeps.
/// </remarks>
public sealed class ActivitySummarizer
{
    public static readonly TimeSpan SessionIdle = TimeSpan.FromMinutes(30);

    /// <summary>How long after its minute a bucket stays open for requests that started in it and finish late.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    // The session this thread counted into last (TryCountRepeat), compared by its key before the dictionary is asked,
    // whose lookup hashes all three strings (about 60 characters) on every request: the strings are the same objects
    // request after request (the app's name, the user and thumbprint of the cached certificate result), so the comparison
    // is three reference checks. Per thread, so request threads on two cores never write a shared field. 21-38 ns per
    // repeated request against 84-118 with the dictionary (docs/benchmarks.md, "Sixth pass: activity volume Summary").
    [ThreadStatic]
    private static Session? t_last;

    private readonly ConcurrentDictionary<Key, Session> _sessions = new();

    /// <summary>Whether a record may be counted into a Summary at all: an allowed request, no file, no error.</summary>
    public static bool IsFoldable(ActivityRecord record) =>
        record.Action == "Allow" && record.FileDirection is null && record.Error is null && record.Count is null;

    /// <summary>True when the record was counted into a Summary; false when it is to be written as it is.</summary>
    public bool TryCount(ActivityRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!IsFoldable(record))
        {
            return false;
        }

        var key = new Key(record.User ?? "", record.App ?? "", record.CertificateThumbprint ?? "");
        while (true)
        {
            Session session = _sessions.GetOrAdd(key, static (key, owner) => new Session(key, owner), this);
            lock (session)
            {
                if (session.Removed)
                {
                    continue; // a flush took it out as idle just now: this request starts a new one
                }

                bool known = session.IsKnownAt(record.Time);
                session.Touch(record.Time, known);
                if (!known)
                {
                    return false;
                }

                long minute = record.Time.UtcTicks / TimeSpan.TicksPerMinute;
                if (session.Find(minute) is { } bucket)
                {
                    bucket.Add(record.Time, record.Bytes, record.Revision);
                }
                else
                {
                    session.Buckets.Add(new Bucket(minute, record));
                }

                return true;
            }
        }
    }

    /// <summary>
    /// Counts a foldable request (<see cref="IsFoldable"/>: the caller has checked) by its key fields alone, without its
    /// record: true when its session is known and its minute already has a Summary, which this request is added to.
    /// False changes nothing: the caller then builds the record and calls <see cref="TryCount"/>, which decides exactly
    /// as it would have for this request. Two calls, one answer: <c>ActivitySummarizerTests</c> checks that.
    /// </summary>
    public bool TryCountRepeat(string? user, string? app, string? certificateThumbprint, DateTimeOffset time, long? bytes, long revision)
    {
        var key = new Key(user ?? "", app ?? "", certificateThumbprint ?? "");
        Session? session = t_last is { } last && last.Owner == this && !last.Removed && last.Key.Equals(key) ? last : null;
        if (session is null)
        {
            if (!_sessions.TryGetValue(key, out session))
            {
                return false;
            }

            t_last = session;
        }

        lock (session)
        {
            // Removed: a flush took it out as idle; the dictionary may hold a new one for the key, which TryCount finds.
            if (session.Removed || !session.IsKnownAt(time) || session.Find(time.UtcTicks / TimeSpan.TicksPerMinute) is not { } bucket)
            {
                return false;
            }

            session.Touch(time, known: true);
            bucket.Add(time, bytes, revision);
            return true;
        }
    }

    /// <summary>The Summary records of the minutes over by <paramref name="now"/> (every open one when <paramref name="all"/>).</summary>
    public List<ActivityRecord> Flush(DateTimeOffset now, bool all = false)
    {
        var records = new List<ActivityRecord>();
        long closedBefore = (now - Grace).UtcTicks / TimeSpan.TicksPerMinute;
        foreach (var (key, session) in _sessions)
        {
            lock (session)
            {
                for (int i = session.Buckets.Count - 1; i >= 0; i--)
                {
                    Bucket bucket = session.Buckets[i];
                    if (all || bucket.Minute < closedBefore)
                    {
                        records.Add(bucket.ToRecord());
                        session.Buckets.RemoveAt(i);
                    }
                }

                if (session.Buckets.Count == 0 && session.IsIdleAt(now))
                {
                    session.Removed = true;
                    _sessions.TryRemove(new KeyValuePair<Key, Session>(key, session));
                }
            }
        }

        records.Sort((a, b) => a.Time.CompareTo(b.Time));
        return records;
    }

    // The user as the engine compares names (UserNames.Comparer): "John" and "john", or José in NFC and in NFD, are one
    // user to every policy, so one session and one Summary, which names the user as its minute's first request did.
    private readonly record struct Key(string User, string App, string Device)
    {
        public bool Equals(Key other) =>
            string.Equals(App, other.App, StringComparison.Ordinal) && string.Equals(Device, other.Device, StringComparison.Ordinal)
            && UserNames.Comparer.Equals(User, other.User);

        public override int GetHashCode() => HashCode.Combine(UserNames.Comparer.GetHashCode(User), App, Device);
    }

    // A user, app and device: when it was last seen, and its minutes still open (one or two at a time). Locked by itself.
    private sealed class Session(Key key, ActivitySummarizer owner)
    {
        private bool _seen;
        private DateTimeOffset _last;

        public Key Key { get; } = key;

        public ActivitySummarizer Owner { get; } = owner;

        public List<Bucket> Buckets { get; } = new(2);

        // Set under the session's lock; read outside it only to skip a cached session (the lock checks it again).
        public volatile bool Removed;

        public bool IsKnownAt(DateTimeOffset time) => _seen && time - _last <= SessionIdle && _last - time <= SessionIdle;

        public bool IsIdleAt(DateTimeOffset now) => now - _last > SessionIdle;

        // Known: the latest time seen stays; a new session starts at this request.
        public void Touch(DateTimeOffset time, bool known)
        {
            _last = known && _last > time ? _last : time;
            _seen = true;
        }

        public Bucket? Find(long minute)
        {
            foreach (Bucket bucket in Buckets)
            {
                if (bucket.Minute == minute)
                {
                    return bucket;
                }
            }

            return null;
        }
    }

    private sealed class Bucket(long minute, ActivityRecord first)
    {
        private int _count = 1;
        private long _bytes = first.Bytes ?? 0;
        private DateTimeOffset _firstTime = first.Time;
        private DateTimeOffset _lastTime = first.Time;
        private long _revision = first.Revision;

        public long Minute { get; } = minute;

        public void Add(DateTimeOffset time, long? bytes, long revision)
        {
            _count++;
            _bytes += bytes ?? 0;
            _firstTime = time < _firstTime ? time : _firstTime;
            _lastTime = time > _lastTime ? time : _lastTime;
            _revision = Math.Max(_revision, revision);
        }

        // What all the requests share stays (user, app, device, the first one's client); what differs per request goes.
        public ActivityRecord ToRecord() => first with
        {
            Time = _firstTime,
            LastTime = _lastTime,
            Count = _count,
            Bytes = _bytes,
            CorrelationId = Guid.CreateVersion7(_firstTime).ToString("N"),
            TraceId = null,
            Path = null,
            Method = null,
            HttpStatus = 0,
            UpstreamLatencyMs = null,
            DecisionLatencyMs = null,
            Revision = _revision,
        };
    }
}
