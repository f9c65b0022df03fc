using CasbCore.Model;

namespace CasbCore.Policies;

/// <summary>
/// The session controls an allowed decision carries: the App Control mode in force, and under UseCustomPolicy
/// the session policies whose session filters (app, users, groups, device, client app, IP) matched. Each
/// download or upload is then decided by <see cref="CasbEngine.DecideFile"/> against these, without
/// re-evaluating the session.
/// </summary>
public sealed class SessionControls
{
    private static readonly SessionControls MonitorOnlyControls = new(AppControlMode.MonitorOnly, []);
    private static readonly SessionControls BlockDownloadsControls = new(AppControlMode.BlockDownloads, []);
    private static readonly SessionControls NoCustomPolicy = new(AppControlMode.UseCustomPolicy, []);

    internal SessionControls(AppControlMode mode, CompiledSessionPolicy[] policies)
    {
        Mode = mode;
        Compiled = policies;
        Policies = policies.Length == 0 ? [] : policies.Select(p => p.Name).ToArray();
    }

    public AppControlMode Mode { get; }

    /// <summary>The names of the session policies that apply to the session (UseCustomPolicy only).</summary>
    public IReadOnlyList<string> Policies { get; }

    internal CompiledSessionPolicy[] Compiled { get; }

    /// <summary>
    /// True when a session policy the session carries controls <paramref name="direction"/> and names the extension of
    /// <paramref name="fileName"/>: how the gateway knows that a response without a Content-Disposition (a URL ending
    /// in .xlsx) is a download to decide. Under MonitorOnly or BlockDownloads no policy names one. Every spelling of the
    /// name counts (<see cref="FileNameSpellings"/>), as <see cref="CasbEngine.DecideFile"/> decides each.
    /// </summary>
    public bool NamesExtensionOf(FileTransferDirection direction, string? fileName)
    {
        if (Compiled.Length == 0)
        {
            return false;
        }

        return fileName is null
            ? NamesExtension(direction, null)
            : FileNameSpellings.Any(fileName, (Controls: this, Direction: direction), static (s, name) => s.Controls.NamesExtension(s.Direction, name));
    }

    private bool NamesExtension(FileTransferDirection direction, string? fileName)
    {
        string extension = FileTransfer.ExtensionOf(fileName);
        foreach (CompiledSessionPolicy policy in Compiled)
        {
            if (policy.NamesExtension(direction, extension))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when a session policy the session carries controls uploads of a file named <paramref name="fileName"/>: its
    /// extension filter names the extension, or it has none (every upload). How the gateway knows that a PUT to a URL
    /// (or a MOVE or COPY to a Destination) naming a file stores a file to decide, as Test-CasbAccess -Upload decides it
    /// under every spelling of the name ("setup.exe::$DATA" is stored as setup.exe).
    /// </summary>
    public bool ControlsUploadOf(string? fileName)
    {
        if (Compiled.Length == 0 || string.IsNullOrWhiteSpace(fileName))
        {
            return false;
        }

        return FileNameSpellings.Any(fileName, this, static (controls, name) => controls.TakesUpload(name));
    }

    private bool TakesUpload(string fileName)
    {
        string extension = FileTransfer.ExtensionOf(fileName);
        foreach (CompiledSessionPolicy policy in Compiled)
        {
            if (policy.TakesUploadExtension(extension))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The shared instance for a mode with no session policy in it: no allocation per request.</summary>
    internal static SessionControls For(AppControlMode mode) => mode switch
    {
        AppControlMode.MonitorOnly => MonitorOnlyControls,
        AppControlMode.BlockDownloads => BlockDownloadsControls,
        _ => NoCustomPolicy,
    };
}
