using System.Management.Automation;
using CasbCore.Activity;
using CasbCore.Policies;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the gateway's activity log: one record per request decision and per sign-in or sign-out, newest first.</para>
/// <para type="description">Reads the JSON-lines activity files of the store (one per UTC day) and returns each decision as an object: time, app, user, source IP, client app type, device tags, client-certificate subject and status, conditional-access results, matched access policies, action (Allow, Block, Monitor), HTTP status, latencies and any error. Sign-ins and sign-outs at the gateway are records of Kind SignIn or SignOut with the user, the identity provider, the number of groups the token named, the Outcome (Success or Failure) and, for a failure, the FailureReason shown on the page. Filters narrow the result (they match the exact logged values); -First stops reading as soon as enough records are found. Paths, User-Agents, user names and certificate subjects come from clients, so every string of the returned objects shows control and bidi characters escaped (ESC as \x1b, a right-to-left override as \u202e): a request cannot rewrite what the terminal shows. The log file, and each object's GetRecord() method, keep the exact values.</para>
/// </summary>
/// <example>
/// <code>Get-CasbActivity -First 20</code>
/// <para>Shows the 20 most recent decisions.</para>
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
    public string? App { get; set; }

    /// <summary><para>User names; wildcards allowed.</para></summary>
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

    /// <summary><para>At most this many records (the newest).</para></summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int First { get; set; }

    protected override void EndProcessing()
    {
        WildcardPattern? app = App is null ? null : new WildcardPattern(App, WildcardOptions.IgnoreCase);
        WildcardPattern? user = User is null ? null : new WildcardPattern(User, WildcardOptions.IgnoreCase);
        HashSet<string>? actions = Action?.Select(a => a.ToString()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        HashSet<string>? kinds = Kind?.ToHashSet(StringComparer.OrdinalIgnoreCase);
        DateTimeOffset? after = After is { } a ? ToOffset(a) : null;
        DateTimeOffset? before = Before is { } b ? ToOffset(b) : null;

        int written = 0;
        foreach (ActivityRecord record in ActivityLog.ReadNewestFirst(Store.ActivityDirectory, after, before))
        {
            if ((after is not null && record.Time < after) || (before is not null && record.Time >= before)
                || (app is not null && !app.IsMatch(record.App ?? ""))
                || (user is not null && !user.IsMatch(record.User ?? ""))
                || (actions is not null && !actions.Contains(record.Action))
                || (kinds is not null && !kinds.Contains(record.Kind ?? ActivityKinds.Request))
                || (CorrelationId is not null && !string.Equals(record.CorrelationId, CorrelationId, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            WriteObject(new CasbActivity(record));
            if (First > 0 && ++written >= First)
            {
                return;
            }
        }
    }

    // An unspecified DateTime (Get-Date, a typed string) is local time, as PowerShell users expect.
    private static DateTimeOffset ToOffset(DateTime value) =>
        value.Kind == DateTimeKind.Utc ? new DateTimeOffset(value) : new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Local));
}
