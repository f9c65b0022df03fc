using CasbCore.Catalogs;
using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// The session stage of a decision: which session controls an allowed session under App Control carries, and
/// then, per download or upload, what happens to the file. Compiled once per revision with the rest of the
/// policy set; session policies are indexed by app and client app type, so an app with none costs one lookup and
/// no allocation.
/// <list type="bullet">
/// <item>MonitorOnly: every download and upload is recorded (Audit), none blocked.</item>
/// <item>BlockDownloads: every download is blocked; uploads are recorded.</item>
/// <item>UseCustomPolicy: the enabled session policies whose session filters matched decide; of those whose file
/// filters match, Block wins over Audit, then the higher severity, then the name. None: Allow.</item>
/// </list>
/// </summary>
internal sealed class SessionStage
{
    private readonly Dictionary<string, CompiledSessionPolicy[][]> _byApp;

    public SessionStage(CasbConfiguration configuration, PrincipalIndex principals)
    {
        CompiledSessionPolicy[] enabled = configuration.SessionPolicies
            .Select((p, i) => (Policy: p, Order: i))
            .Where(p => p.Policy.Enabled)
            .Select(p => new CompiledSessionPolicy(p.Policy, p.Order, principals))
            .ToArray();
        _byApp = new Dictionary<string, CompiledSessionPolicy[][]>(ItemNames.Comparer);
        foreach (AppEntry app in configuration.Apps)
        {
            CompiledSessionPolicy[] forApp = enabled
                .Where(p => p.Apps.Count == 0 || p.Apps.Any(a => ItemNames.IsSame(a?.Trim(), app.Name)))
                .ToArray();
            if (forApp.Length > 0)
            {
                _byApp.TryAdd(app.Name,
                [
                    forApp.Where(p => p.AppliesTo(ClientAppType.Browser)).ToArray(),
                    forApp.Where(p => p.AppliesTo(ClientAppType.MobileAndDesktop)).ToArray(),
                ]);
            }
        }
    }

    /// <summary>The controls an allowed session under App Control <paramref name="mode"/> carries.</summary>
    public SessionControls Controls(AppControlMode mode, RequestFacts facts)
    {
        if (mode != AppControlMode.UseCustomPolicy
            || !_byApp.TryGetValue(facts.App, out CompiledSessionPolicy[][]? forApp)
            || forApp[(int)facts.ClientAppType] is not { Length: > 0 } candidates)
        {
            return SessionControls.For(mode);
        }

        List<CompiledSessionPolicy>? matched = null;
        foreach (CompiledSessionPolicy policy in candidates)
        {
            if (policy.MatchesSession(facts))
            {
                (matched ??= []).Add(policy);
            }
        }

        return matched is null ? SessionControls.For(mode) : new SessionControls(mode, matched.ToArray());
    }

    /// <summary>
    /// What happens to one file moving inside the session <paramref name="session"/> decided. A session policy matches
    /// when it matches <paramref name="file"/> or one of <paramref name="otherReadings"/> (the same file under the other
    /// names a reader stores it as); the policies' ranking then picks among all the matches.
    /// </summary>
    public static FileDecision DecideFile(AccessDecision session, FileTransfer file, IReadOnlyList<FileTransfer>? otherReadings = null)
    {
        string what = Describe(file);
        var reasons = new List<string>(4);
        if (session.Action == AccessAction.Block || session.App is null)
        {
            reasons.Add($"The session is blocked, so the {what} is too.");
            return Result(FileAction.Block, session.BlockMessage, null, [], reasons);
        }

        SessionControls? controls = session.SessionControls;
        if (controls is null)
        {
            reasons.Add($"The session is not under App Control: the {what} is not controlled.");
            return Result(FileAction.Allow, null, null, [], reasons);
        }

        switch (controls.Mode)
        {
            case AppControlMode.MonitorOnly:
                reasons.Add($"App Control mode MonitorOnly records the {what}.");
                return Result(FileAction.Audit, null, null, [], reasons);
            case AppControlMode.BlockDownloads when file.Direction == FileTransferDirection.Download:
                reasons.Add($"App Control mode BlockDownloads blocks the {what}.");
                return Result(FileAction.Block, DownloadBlockedMessage(session.App), null, [], reasons);
            case AppControlMode.BlockDownloads:
                reasons.Add($"App Control mode BlockDownloads records the {what}.");
                return Result(FileAction.Audit, null, null, [], reasons);
        }

        CompiledSessionPolicy? winner = null;
        var matched = new List<string>();
        foreach (CompiledSessionPolicy policy in controls.Compiled)
        {
            if (!policy.MatchesFile(file) && !MatchesAny(policy, otherReadings))
            {
                continue;
            }

            matched.Add(policy.Name);
            reasons.Add(policy.MatchedReason);
            if (winner is null || policy.Outranks(winner))
            {
                winner = policy;
            }
        }

        if (winner is null)
        {
            reasons.Add(controls.Compiled.Length == 0
                ? $"No session policy applies to this session: the {what} is allowed."
                : $"No session policy matched the {what}: it is allowed.");
            return Result(FileAction.Allow, null, null, matched, reasons);
        }

        if (winner.Action == SessionPolicyAction.Block)
        {
            reasons.Add($"Blocked by session policy '{winner.Name}' (severity {winner.Severity}).");
            return Result(FileAction.Block, winner.BlockMessage ?? TransferBlockedMessage(session.App, file.Direction), winner.Name, matched, reasons, winner);
        }

        reasons.Add($"Recorded by session policy '{winner.Name}' (severity {winner.Severity}).");
        return Result(FileAction.Audit, null, winner.Name, matched, reasons, winner);

        FileDecision Result(FileAction action, string? message, string? policy, IReadOnlyList<string> policies, List<string> why, CompiledSessionPolicy? by = null) => new()
        {
            Action = action,
            Direction = file.Direction,
            FileName = file.FileName,
            Extension = file.Extension,
            SizeBytes = file.SizeBytes,
            AppControlMode = session.SessionControls?.Mode,
            Policy = policy,
            MatchedPolicies = policies,
            BlockMessage = action == FileAction.Block ? message : null,
            Reasons = why,
            DecidedBy = by,
        };
    }

    private static bool MatchesAny(CompiledSessionPolicy policy, IReadOnlyList<FileTransfer>? readings)
    {
        if (readings is not null)
        {
            foreach (FileTransfer reading in readings)
            {
                if (policy.MatchesFile(reading))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The message of BlockDownloads mode.</summary>
    public static string DownloadBlockedMessage(string app) => $"Downloads from {app} are blocked by your organization's policy.";

    /// <summary>The message of a blocking session policy that has none of its own.</summary>
    public static string TransferBlockedMessage(string app, FileTransferDirection direction) =>
        direction == FileTransferDirection.Download
            ? $"This download from {app} is blocked by your organization's policy."
            : $"This upload to {app} is blocked by your organization's policy.";

    private static string Describe(FileTransfer file)
    {
        string direction = file.Direction == FileTransferDirection.Download ? "download" : "upload";
        return file.FileName is null ? direction : $"{direction} of '{file.FileName}'";
    }
}
