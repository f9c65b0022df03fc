using System.Globalization;

namespace CasbCore.Activity;

/// <summary>
/// What Get-CasbActivity asks for. Every reader applies <see cref="Matches"/> to what it returns; a reader narrows
/// what it reads first (days, blocks of the file index, a SQL WHERE) with <see cref="After"/>, <see cref="Before"/> and
/// <see cref="CorrelationTime"/>.
/// </summary>
public sealed class ActivityQuery
{
    /// <summary>Records at or after this time.</summary>
    public DateTimeOffset? After { get; init; }

    /// <summary>Records before this time.</summary>
    public DateTimeOffset? Before { get; init; }

    public ActivityPattern? App { get; init; }

    /// <summary>The user, matched against the user's canonical form (<see cref="SignIn.UserNames.Canonical"/>), as the engine compares names.</summary>
    public ActivityPattern? User { get; init; }

    /// <summary>The device: its client certificate's thumbprint or subject.</summary>
    public ActivityPattern? Device { get; init; }

    /// <summary>Allow, Block, Monitor (the logged action), any of them.</summary>
    public IReadOnlySet<string>? Actions { get; init; }

    public IReadOnlySet<ActivityKind>? Kinds { get; init; }

    /// <summary>The record's own Kind (<see cref="ActivityKinds"/>: Request for a decision, SignIn, SignOut), any of them.</summary>
    public IReadOnlySet<string>? RecordKinds { get; init; }

    public string? CorrelationId { get; init; }

    /// <summary>At most this many records (the newest); 0 for all.</summary>
    public int First { get; init; }

    /// <summary>
    /// The millisecond the request of <see cref="CorrelationId"/> started, read from the id itself: the gateway's ids are
    /// version-7 UUIDs (RFC 9562) of the request's start, which is the record's time. Null for another id.
    /// </summary>
    public DateTimeOffset? CorrelationTime => CorrelationId is { } id ? TimeOfCorrelationId(id) : null;

    /// <summary>The lower bound of the records' time, from After and the correlation id.</summary>
    public DateTimeOffset? From => Max(After, CorrelationTime);

    /// <summary>The upper bound (exclusive) of the records' time, from Before and the correlation id.</summary>
    public DateTimeOffset? Until => Min(Before, CorrelationTime?.AddMilliseconds(1));

    public bool Matches(ActivityRecord record) =>
        (From is not { } from || record.Time >= from)
        && (Until is not { } until || record.Time < until)
        && (CorrelationId is null || string.Equals(record.CorrelationId, CorrelationId, StringComparison.OrdinalIgnoreCase))
        && (Actions is null || Actions.Contains(record.Action))
        && (Kinds is null || Kinds.Contains(KindOf(record)))
        && (RecordKinds is null || RecordKinds.Contains(record.Kind ?? ActivityKinds.Request))
        && (App is null || App.IsMatch(record.App))
        && (User is null || User.IsMatch(record.User is { } user ? SignIn.UserNames.Canonical(user) : null)) // a record written before names were canonical, or by another writer
        && (Device is null || Device.IsMatch(record.CertificateThumbprint) || (record.CertificateSubject is not null && Device.IsMatch(record.CertificateSubject)));

    public static ActivityKind KindOf(ActivityRecord record) => record switch
    {
        { Kind: ActivityKinds.SignIn } => ActivityKind.SignIn,
        { Kind: ActivityKinds.SignOut } => ActivityKind.SignOut,
        { Count: not null } => ActivityKind.Summary,
        { FileDirection: "Download" } => ActivityKind.Download,
        { FileDirection: "Upload" } => ActivityKind.Upload,
        _ => ActivityKind.Access,
    };

    /// <summary>The time a version-7 UUID (32 hex digits, with or without hyphens) carries; null for any other id.</summary>
    public static DateTimeOffset? TimeOfCorrelationId(string id)
    {
        if (!Guid.TryParse(id, out Guid guid) || guid.Version != 7)
        {
            return null;
        }

        string hex = guid.ToString("N");
        long milliseconds = long.Parse(hex.AsSpan(0, 12), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return milliseconds <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : null;
    }

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;
}
