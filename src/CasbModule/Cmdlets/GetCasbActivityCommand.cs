using System.Management.Automation;
using CasbCore;
using CasbCore.Activity;
using CasbCore.Policies;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the gateway's activity log: one record per request decision and per sign-in or sign-out, newest first.</para>
/// <para type="description">Reads the JSON-lines activity files of the store (one per UTC day) and returns each decision as an object: time, app, user, source IP, client app type, device tags, client-certificate subject and status, conditional-access results, matched access policies, action (Allow, Block, Monitor), HTTP status, latencies and any error. Sign-ins and sign-outs at the gateway are records of Kind SignIn or SignOut with the user, the identity provider, the number of groups the token named, the Outcome (Success or Failure) and, for a failure, the FailureReason shown on the page. With the default activity volume (Summary), repeated allowed requests are Summary records that count the requests of one user, app and device in one minute. A running gateway writes each record off the request path, a moment after the response (milliseconds; longer on a busy machine), and Stop-CasbGateway writes every record still queued before it returns: a script that reads the log right after a request waits for the record, for instance by polling -CorrelationId with the id of the response's X-Casb-Correlation-Id header. Filters narrow the result (they match the exact logged values, with wildcards where noted); -First stops reading as soon as enough records are found. Newest-first reading starts at the end of the newest file, and a lookup by correlation id reads only the part of the day around the time the id carries, so neither reads a whole day. Paths, User-Agents, user names and certificate subjects come from clients, so every string of the returned objects shows control and bidi characters escaped (ESC as \x1b, a right-to-left override as \u202e): a request cannot rewrite what the terminal shows. The log file, and each object's GetRecord() method, keep the exact values. A wildcard that is not one ([z-a]) is the error InvalidWildcard; a log that cannot be read is the store's error (StoreUnavailable or StoreAuthenticationFailed for a database, ActivityReadFailed for a folder).</para>
/// </summary>
/// <example>
/// <code>Get-CasbActivity -First 20</code>
/// <para>Shows the 20 most recent decisions.</para>
/// </example>
/// <example>
/// <code>Get-CasbActivity -CorrelationId 019ad2b4c1e07c3a9f2e6b1d4c8a7e55</code>
/// <para>Finds the record of the request whose block page showed this correlation id, without reading the whole day.</para>
/// </example>
/// <example>
/// <code>Get-CasbActivity -Activity Download, Upload -User 'vendor@*'</code>
/// <para>Shows the files vendors downloaded or uploaded.</para>
/// </example>
/// <example>
/// <code>Get-CasbActivity -Kind SignIn | Where-Object Outcome -eq Failure</code>
/// <para>Shows the sign-ins that failed, with why (FailureReason).</para>
/// </example>
/// <example>
/// <code>Get-CasbActivity -Action Block -App 'Microsoft*' -After (Get-Date).AddHours(-1)</code>
/// <para>Shows what was blocked in the last hour for apps whose names start with Microsoft.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CasbActivity")]
[OutputType(typeof(CasbActivity))]
public sealed class GetCasbActivityCommand : CasbStoreCmdlet
{
    /// <summary><para>App names; wildcards allowed.</para></summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(AppNameCompleter))]
    public string? App { get; set; }

    /// <summary><para>User names; wildcards allowed. Records name a user in the form names compare in (Unicode NFC, fullwidth letters mapped), and so is this pattern read: 'José' finds the user however it is typed, and however an older record (or another writer's) spells it: in NFD, fullwidth letters or another case. On PostgreSQL older than 13, or a database not in UTF8, only records in the canonical form are found.</para></summary>
    [Parameter]
    [SupportsWildcards]
    public string? User { get; set; }

    /// <summary><para>Only records of this kind: Request (a decision), SignIn or SignOut.</para></summary>
    [Parameter]
    [ValidateSet(ActivityKinds.Request, ActivityKinds.SignIn, ActivityKinds.SignOut)]
    public string[]? Kind { get; set; }

    /// <summary><para>Only records with this action: Allow, Block or Monitor.</para></summary>
    [Parameter]
    public AccessAction[]? Action { get; set; }

    /// <summary><para>Only records at or after this time.</para></summary>
    [Parameter]
    public DateTime? After { get; set; }

    /// <summary><para>Only records before this time.</para></summary>
    [Parameter]
    public DateTime? Before { get; set; }

    /// <summary><para>Only the record with this correlation id (shown on the block page).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CorrelationId { get; set; }

    /// <summary><para>Only records of the device whose client certificate has this thumbprint or subject; wildcards allowed.</para></summary>
    [Parameter]
    [SupportsWildcards]
    public string? Device { get; set; }

    /// <summary><para>Only records of these kinds: Access (a request without a file), Download, Upload (a file session control decided), Summary (allowed requests counted per user, app, device and minute), SignIn or SignOut.</para></summary>
    [Parameter]
    public ActivityKind[]? Activity { get; set; }

    /// <summary><para>At most this many records (the newest).</para></summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int First { get; set; }

    protected override void EndProcessing()
    {
        try
        {
            // A wildcard that is not one is InvalidWildcard; a log that cannot be read, the store's error.
            var query = new ActivityQuery
            {
                App = App is null ? null : new ActivityPattern(App),
                User = User is null ? null : new ActivityPattern(CasbCore.SignIn.NameNormalization.Normalize(User)), // records name users in canonical form
                Device = Device is null ? null : new ActivityPattern(Device),
                Actions = Action?.Select(a => a.ToString()).ToHashSet(StringComparer.OrdinalIgnoreCase),
                Kinds = Activity?.ToHashSet(),
                RecordKinds = Kind?.ToHashSet(StringComparer.OrdinalIgnoreCase),
                After = After is { } a ? ToOffset(a) : null,
                Before = Before is { } b ? ToOffset(b) : null,
                CorrelationId = CorrelationId,
                First = First,
            };
            foreach (ActivityRecord record in ActivityLog.Read(Store, ActivityLog.OpenReader(Store), query))
            {
                WriteObject(new CasbActivity(record));
            }
        }
        catch (CasbException ex)
        {
            ThrowCasbError(ex);
        }
    }

    // An unspecified DateTime (Get-Date, a typed string) is local time, as PowerShell users expect.
    private static DateTimeOffset ToOffset(DateTime value) =>
        value.Kind == DateTimeKind.Utc ? new DateTimeOffset(value) : new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Local));
}
