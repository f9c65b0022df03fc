using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore.Catalogs;

/// <summary>
/// The apps the gateway protects: adding, changing (a rename follows into every policy naming the app) and removing
/// (refused while a policy names the app, or with force taken out of those policies). Works on a
/// <see cref="CasbConfiguration"/> inside a store update and validates the result; never talks to the user.
/// </summary>
public static class AppCatalog
{
    public const string NotFoundErrorId = "AppNotFound";
    public const string ExistsErrorId = "AppExists";
    public const string InUseErrorId = "AppInUse";

    public static AppEntry? Find(CasbConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return ConfigurationItems.Apps.Find(configuration, name);
    }

    /// <summary>The app with this name (ignoring case); AppNotFound when there is none.</summary>
    public static AppEntry Get(CasbConfiguration configuration, string name) => Find(configuration, name) ?? throw NotFound(name);

    public static CasbException NotFound(string name) =>
        new(NotFoundErrorId, CasbErrorKind.ObjectNotFound, $"The app '{name}' is not in the store.", name);

    /// <summary>Normalizes a new app's fields in place (InvalidName, InvalidUpstream, InvalidHostname, InvalidPathPrefix).</summary>
    public static AppEntry Prepare(AppEntry app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Name = ItemNames.Normalize(app.Name, "app");
        app.Upstream = ConfigurationInput.Upstream(app.Upstream);
        app.Hostnames = ConfigurationInput.Hostnames(app.Hostnames);
        app.PathPrefix = ConfigurationInput.PathPrefix(string.IsNullOrEmpty(app.PathPrefix) ? "/" : app.PathPrefix);
        return app;
    }

    /// <summary>Normalizes a change's fields, so a cmdlet can refuse bad arguments before it asks to go ahead.</summary>
    public static AppChange Prepare(AppChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change with
        {
            NewName = change.NewName is null ? null : ItemNames.Normalize(change.NewName, "app"),
            Upstream = change.Upstream is null ? null : ConfigurationInput.Upstream(change.Upstream),
            Hostnames = change.Hostnames is null ? null : ConfigurationInput.Hostnames(change.Hostnames),
            PathPrefix = change.PathPrefix is null ? null : ConfigurationInput.PathPrefix(change.PathPrefix),
        };
    }

    /// <summary>Adds an app; AppExists when the name is taken, the validator's ids (such as DuplicateRoute) for a conflict.</summary>
    public static AppEntry Add(CasbConfiguration configuration, AppEntry app, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Prepare(app);
        if (Find(configuration, app.Name) is not null)
        {
            throw new CasbException(
                ExistsErrorId, CasbErrorKind.ResourceExists,
                $"An app named '{app.Name}' is already in the store. Use Set-CasbApp to change it.", app.Name);
        }

        app.CreatedAt = app.ModifiedAt = now;
        configuration.Apps.Add(app);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return app;
    }

    /// <summary>Changes an app; a new name is refused with AppExists when another app has it, else every policy follows it.</summary>
    public static AppEntry Change(CasbConfiguration configuration, string name, AppChange change, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        change = Prepare(change);
        AppEntry app = Get(configuration, name);
        if (change.NewName is { } newName && !string.Equals(newName, app.Name, StringComparison.Ordinal))
        {
            if (!ItemNames.IsSame(newName, app.Name) && Find(configuration, newName) is not null)
            {
                throw new CasbException(
                    ExistsErrorId, CasbErrorKind.ResourceExists, $"Cannot rename '{app.Name}': an app named '{newName}' is already in the store.", newName);
            }

            foreach (ConfigurationItemKind kind in ConfigurationItems.All)
            {
                kind.RenameApp(configuration, app.Name, newName);
            }

            app.Name = newName;
        }

        app.Upstream = change.Upstream ?? app.Upstream;
        app.Hostnames = change.Hostnames?.ToList() ?? app.Hostnames;
        app.PathPrefix = change.PathPrefix ?? app.PathPrefix;
        app.ForwardClientCertificate = change.ForwardClientCertificate ?? app.ForwardClientCertificate;
        app.SignIn = change.SignIn ?? app.SignIn;
        app.ModifiedAt = now;
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return app;
    }

    /// <summary>The names of the policies that name the app, in configuration order.</summary>
    /// <summary>Warnings for an app just added or changed: where another app takes its requests, or it takes another's (<see cref="AppMatcher.Shadows"/>).</summary>
    public static IReadOnlyList<string> RoutingWarnings(CasbConfiguration configuration, string name) =>
        AppMatcher.Shadows(configuration.Apps, name).Select(s =>
        {
            string where = s.WinnerHost.StartsWith("*.", StringComparison.Ordinal) ? $"the hosts under {s.WinnerHost[2..]}" : s.WinnerHost;
            return $"App '{s.Winner.Name}' ({s.WinnerHost}, path prefix {s.WinnerPrefix}) takes the requests for {s.LoserPrefix} on {where} "
                + $"from app '{s.Loser.Name}' ({s.LoserHost}, path prefix {s.LoserPrefix}): the more specific host name wins before path "
                + $"prefixes are compared, so the policies of '{s.Loser.Name}' do not apply there. To keep them, give '{s.Loser.Name}' "
                + $"the host name {s.WinnerHost} too.";
        }).ToList();

    public static IReadOnlyList<string> PoliciesUsing(CasbConfiguration configuration, string name) =>
        ConfigurationItems.All.SelectMany(kind => kind.UsingApp(configuration, name)).ToList();

    /// <summary>
    /// Removes an app. While policies name it: AppInUse, unless <paramref name="force"/>, which takes it out of
    /// them; a policy whose only app it was is turned off rather than left to apply to all apps.
    /// </summary>
    public static AppRemoval Remove(CasbConfiguration configuration, string name, bool force, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        AppEntry app = Get(configuration, name);
        IReadOnlyList<string> users = PoliciesUsing(configuration, app.Name);
        var turnedOff = new List<string>();
        if (users.Count > 0)
        {
            if (!force)
            {
                throw new CasbException(
                    InUseErrorId, CasbErrorKind.InvalidOperation,
                    $"The app '{app.Name}' is used by the policies {string.Join(", ", users.Select(u => $"'{u}'"))}. Change them first, or use -Force to remove the app from them too.",
                    app.Name);
            }

            foreach (ConfigurationItemKind kind in ConfigurationItems.All)
            {
                turnedOff.AddRange(kind.RemoveApp(configuration, app.Name, now));
            }
        }

        configuration.Apps.Remove(app);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return new AppRemoval(app, turnedOff);
    }
}
