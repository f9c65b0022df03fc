using CasbCore.Model;

namespace CasbCore.Activity;

/// <summary>
/// Activity volume <see cref="ActivityVolume.Summary"/>: lets through verbatim every block, every request session
/// control decided, every failed request and the first request of each session (a user, app and device this gateway
/// has not seen for <see cref="SessionIdle"/>), and counts the other allowed requests per user, app, device and minute
/// of their time. <see cref="Flush"/> turns each minute, once it is over (plus a grace period for requests still
/// running), into one Summary record: the first request's record with the count, the bytes summed, and the first and
/// last time.
/// </summary>
public sealed class ActivitySummarizer
{
    public static readonly TimeSpan SessionIdle = TimeSpan.FromMinutes(30);

    /// <summary>How long after its minute a bucket stays open for requests that started in it and finish late.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    private readonly object _lock = new();
    private readonly Dictionary<Key, DateTimeOffset> _sessions = new();
    private readonly Dictionary<(Key Key, long Minute), Bucket> _buckets = new();

    /// <summary>True when the record was counted into a Summary; false when it is to be written as it is.</summary>
    public bool TryCount(ActivityRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Action != "Allow" || record.FileDirection is not null || record.Error is not null || record.Count is not null)
        {
            return false;
        }

        var key = new Key(record.User ?? "", record.App ?? "", record.CertificateThumbprint ?? "");
        lock (_lock)
        {
            bool known = _sessions.TryGetValue(key, out DateTimeOffset last) && record.Time - last <= SessionIdle && last - record.Time <= SessionIdle;
            _sessions[key] = known && last > record.Time ? last : record.Time;
            if (!known)
            {
                return false;
            }

            long minute = record.Time.UtcTicks / TimeSpan.TicksPerMinute;
            if (_buckets.TryGetValue((key, minute), out Bucket? bucket))
            {
                bucket.Add(record);
            }
            else
            {
                _buckets[(key, minute)] = new Bucket(record);
            }
        }

        return true;
    }

    /// <summary>The Summary records of the minutes over by <paramref name="now"/> (every open one when <paramref name="all"/>).</summary>
    public List<ActivityRecord> Flush(DateTimeOffset now, bool all = false)
    {
        var records = new List<ActivityRecord>();
        lock (_lock)
        {
            long closedBefore = (now - Grace).UtcTicks / TimeSpan.TicksPerMinute;
            foreach (var ((key, minute), bucket) in _buckets)
            {
                if (all || minute < closedBefore)
                {
                    records.Add(bucket.ToRecord());
                    _buckets.Remove((key, minute));
                }
            }

            foreach (var (key, last) in _sessions)
            {
                if (now - last > SessionIdle)
                {
                    _sessions.Remove(key);
                }
            }
        }

        records.Sort((a, b) => a.Time.CompareTo(b.Time));
        return records;
    }

    private readonly record struct Key(string User, string App, string Device);

    private sealed class Bucket(ActivityRecord first)
    {
        private int _count = 1;
        private long _bytes = first.Bytes ?? 0;
        private DateTimeOffset _firstTime = first.Time;
        private DateTimeOffset _lastTime = first.Time;
        private long _revision = first.Revision;

        public void Add(ActivityRecord record)
        {
            _count++;
            _bytes += record.Bytes ?? 0;
            _firstTime = record.Time < _firstTime ? record.Time : _firstTime;
            _lastTime = record.Time > _lastTime ? record.Time : _lastTime;
            _revision = Math.Max(_revision, record.Revision);
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
