using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbCore.Policies;
using CsCheck;

namespace CasbModule.Tests.Catalogs;

/// <summary>
/// The class of bug "removing or renaming an app widens or breaks a policy", over generated configurations: apps,
/// groups and policies that name random subsets of them, then a forced removal or a rename of a random app.
/// </summary>
public sealed class CascadeProperties
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>A configuration shape from a seed: 1-4 apps, 0-2 groups, 0-5 policies of each kind.</summary>
    private static CasbConfiguration Build(int seed)
    {
        var random = new Random(seed);
        var configuration = new CasbConfiguration();
        int apps = random.Next(1, 5);
        for (int i = 0; i < apps; i++)
        {
            configuration.Apps.Add(new AppEntry { Name = $"App {i}", Upstream = $"http://127.0.0.1:{8000 + i}/", Hostnames = [$"app{i}.contoso.local"] });
        }

        int groups = random.Next(0, 3);
        for (int i = 0; i < groups; i++)
        {
            configuration.Groups.Add(new GroupEntry { Name = $"Group {i}", Members = [$"user{i}@contoso.com"] });
        }

        List<string> SomeApps() => configuration.Apps.Where(_ => random.Next(3) == 0).Select(a => random.Next(2) == 0 ? a.Name.ToUpperInvariant() : a.Name).ToList();
        List<string> SomeGroups() => configuration.Groups.Where(_ => random.Next(3) == 0).Select(g => g.Name).ToList();
        for (int i = random.Next(0, 6); i > 0; i--)
        {
            configuration.AccessPolicies.Add(new AccessPolicyEntry
            {
                Name = $"Access {i}",
                Action = AccessPolicyAction.Block,
                Apps = SomeApps(),
                Groups = SomeGroups(),
                Enabled = random.Next(4) != 0,
            });
        }

        for (int i = random.Next(0, 6); i > 0; i--)
        {
            configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
            {
                Name = $"CA {i}",
                IncludeUsers = ["All"],
                ExcludeGroups = SomeGroups(),
                Apps = SomeApps(),
                State = (ConditionalAccessState)random.Next(3),
                SessionControl = SessionControlKind.AppControl,
            });
        }

        return configuration;
    }

    /// <summary>Which apps each policy that is in force applies to (null = all apps), by policy.</summary>
    private static Dictionary<string, HashSet<string>?> Scope(CasbConfiguration configuration) =>
        configuration.AccessPolicies.Where(p => p.Enabled).Select(p => ("Access:" + p.Name, p.Apps))
            .Concat(configuration.ConditionalAccessPolicies.Where(p => p.State != ConditionalAccessState.Off).Select(p => ("CA:" + p.Name, p.Apps)))
            .ToDictionary(p => p.Item1, p => p.Apps.Count == 0 ? null : new HashSet<string>(p.Apps, StringComparer.OrdinalIgnoreCase));

    [Fact]
    public void A_forced_app_removal_never_widens_a_policy_and_leaves_a_valid_configuration()
    {
        Gen.Select(Gen.Int, Gen.Int[0, 3]).Sample((seed, pick) =>
        {
            CasbConfiguration configuration = Build(seed);
            Assert.Empty(ConfigurationValidator.Validate(configuration));
            string app = configuration.Apps[pick % configuration.Apps.Count].Name;
            Dictionary<string, HashSet<string>?> before = Scope(configuration);

            AppRemoval removal = AppCatalog.Remove(configuration, app, force: true, Now);

            Assert.Empty(ConfigurationValidator.Validate(configuration));
            Dictionary<string, HashSet<string>?> after = Scope(configuration);
            foreach ((string policy, HashSet<string>? apps) in after)
            {
                HashSet<string>? was = before[policy];
                // A policy for all apps stays so; one for some apps never becomes one for all apps or gains an app.
                Assert.True(was is null ? apps is null : apps is not null && apps.IsSubsetOf(was), $"{policy} widened (seed {seed})");
                Assert.False(apps?.Contains(app) ?? false, $"{policy} still names the removed app");
            }

            Assert.All(removal.TurnedOffPolicies, p => Assert.DoesNotContain(after.Keys, k => k.EndsWith(":" + p, StringComparison.Ordinal)));
        });
    }

    [Fact]
    public void A_rename_keeps_every_policy_on_the_same_app_and_leaves_a_valid_configuration()
    {
        Gen.Select(Gen.Int, Gen.Int[0, 3]).Sample((seed, pick) =>
        {
            CasbConfiguration configuration = Build(seed);
            string app = configuration.Apps[pick % configuration.Apps.Count].Name;
            Dictionary<string, HashSet<string>?> before = Scope(configuration);

            AppCatalog.Change(configuration, app, new AppChange { NewName = "Renamed" }, Now);

            Assert.Empty(ConfigurationValidator.Validate(configuration));
            Dictionary<string, HashSet<string>?> after = Scope(configuration);
            Assert.Equal(before.Keys, after.Keys);
            foreach ((string policy, HashSet<string>? apps) in after)
            {
                HashSet<string>? expected = before[policy] is { } was
                    ? new HashSet<string>(was.Select(a => ItemNames.IsSame(a, app) ? "Renamed" : a), StringComparer.OrdinalIgnoreCase)
                    : null;
                Assert.True(expected is null ? apps is null : apps is not null && apps.SetEquals(expected), $"{policy} changed scope (seed {seed})");
            }
        });
    }

    [Fact]
    public void A_group_is_removed_only_when_no_policy_names_it()
    {
        Gen.Select(Gen.Int, Gen.Int[0, 3]).Sample((seed, pick) =>
        {
            CasbConfiguration configuration = Build(seed);
            if (configuration.Groups.Count == 0)
            {
                return;
            }

            string group = configuration.Groups[pick % configuration.Groups.Count].Name;
            bool named = configuration.AccessPolicies.Any(p => p.Groups.Contains(group)) || configuration.ConditionalAccessPolicies.Any(p => p.ExcludeGroups.Contains(group));
            try
            {
                GroupCatalog.Remove(configuration, group);
                Assert.False(named, $"'{group}' was removed while a policy names it (seed {seed})");
            }
            catch (CasbException ex) when (ex.ErrorId == "GroupInUse")
            {
                Assert.True(named);
            }

            Assert.Empty(ConfigurationValidator.Validate(configuration));
        });
    }
}
