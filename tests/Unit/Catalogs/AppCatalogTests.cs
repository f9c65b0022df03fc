using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;
using CsCheck;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Catalogs;

public sealed class AppCatalogTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Add_keeps_an_IP_address_in_the_one_spelling_it_is_matched_in()
    {
        AppEntry added = AppCatalog.Add(Seed(), new AppEntry
        {
            Name = "Lab",
            Upstream = "http://127.0.0.1:8080",
            Hostnames = ["10.0.0.6", "[0:0::1]", "::1", "10.0.0.7.", "[2001:DB8:0::1]"],
        }, Now);

        Assert.Equal(["10.0.0.6", "::1", "10.0.0.7", "2001:db8::1"], added.Hostnames);
    }

    /// <summary>
    /// inet_aton reads a leading zero as octal and "0x" as hex, as browsers and the gateway do: the admin who wrote
    /// "010.0.0.6" meant 10.0.0.6 and would get 8.0.0.6, so the spelling is refused with what it reads as. A name whose last
    /// label is a number ("10.5", "1.2.3.999") is an address to a browser, or nothing: refused too.
    /// </summary>
    [Theory]
    [InlineData("010.000.000.006", "reads as 8.0.0.6")]
    [InlineData("10.0.0.06", "reads as 10.0.0.6")]
    [InlineData("0xa.0.0.5", "reads as 10.0.0.5")]
    [InlineData("0xa.5", "is a number")]
    [InlineData("10.5", "is a number")]
    [InlineData("1.2.3.999", "is a number")]
    [InlineData("2130706433", "is a number")]
    [InlineData("*.0.5", "is a number")]
    [InlineData("portal.0x1f", "is a number")]
    public void Add_refuses_an_IPv4_address_spelled_other_than_in_dotted_decimal(string hostname, string reason)
    {
        CasbConfiguration configuration = Seed();
        int before = configuration.Apps.Count;

        CasbException error = Assert.Throws<CasbException>(() => AppCatalog.Add(configuration, new AppEntry
        {
            Name = "Lab",
            Upstream = "http://127.0.0.1:8080",
            Hostnames = [hostname],
        }, Now));

        Assert.Equal("InvalidHostname", error.ErrorId);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, configuration.Apps.Count);
    }

    /// <summary>Every IPv4 address in generated spellings: accepted exactly when dotted decimal, and stored as written.</summary>
    [Fact]
    public void An_IPv4_host_is_accepted_exactly_in_the_spelling_it_is_matched_in()
    {
        Gen.Select(Gen.Byte.Array[4], Gen.Int[0, 2].Array[4]).Sample((bytes, spellings) =>
        {
            string canonical = new System.Net.IPAddress(bytes).ToString();
            string spelled = string.Join('.', bytes.Select((b, i) => spellings[i] switch
            {
                1 => "0" + Convert.ToString(b, 8),
                2 => "0x" + Convert.ToString(b, 16),
                _ => b.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }));

            string? problem = CasbCore.Policies.ConfigurationValidator.HostnameProblem(spelled);
            if (spelled == canonical)
            {
                Assert.Null(problem);
                Assert.Equal([canonical], ConfigurationInput.Hostnames([spelled]));
                Assert.Equal(canonical, CasbCore.Policies.AppMatcher.NormalizeHost(spelled));
            }
            else
            {
                Assert.Contains($"reads as {canonical}", problem, StringComparison.Ordinal);
            }
        }, iter: 2000);
    }

    [Fact]
    public void Add_normalizes_the_app_and_stamps_it()
    {
        CasbConfiguration configuration = Seed();

        AppEntry added = AppCatalog.Add(configuration, new AppEntry
        {
            Name = "  Payroll ",
            Upstream = "http://127.0.0.1:8080",
            Hostnames = ["Payroll.Contoso.Local.", "payroll.contoso.local"],
        }, Now);

        Assert.Equal("Payroll", added.Name);
        Assert.Equal("http://127.0.0.1:8080/", added.Upstream);
        Assert.Equal(["payroll.contoso.local"], added.Hostnames);
        Assert.Equal("/", added.PathPrefix);
        Assert.Equal(Now, added.CreatedAt);
        Assert.Same(added, AppCatalog.Find(configuration, "PAYROLL"));
    }

    [Theory]
    [InlineData("azure portal", "http://127.0.0.1:1", "payroll.contoso.local", "/", "AppExists")]
    [InlineData("Payroll", "ftp://127.0.0.1", "payroll.contoso.local", "/", "InvalidUpstream")]
    [InlineData("Payroll", "http://127.0.0.1:1/?tenant=a", "payroll.contoso.local", "/", "InvalidUpstream")]
    [InlineData("Payroll", "http://127.0.0.1:1/base?", "payroll.contoso.local", "/", "InvalidUpstream")]
    [InlineData("Payroll", "http://127.0.0.1:1/#top", "payroll.contoso.local", "/", "InvalidUpstream")]
    [InlineData("Payroll", "https://svc:Secret1@payroll.internal/", "payroll.contoso.local", "/", "InvalidUpstream")]
    [InlineData("Payroll", "http://127.0.0.1:1", "payroll.contoso.local:443", "/", "InvalidHostname")]
    [InlineData("Payroll", "http://127.0.0.1:1", "payroll.contoso.local", "payroll", "InvalidPathPrefix")]
    [InlineData("Payroll", "http://127.0.0.1:1", "PORTAL.contoso.local", "/", "DuplicateRoute")]
    [InlineData(" ", "http://127.0.0.1:1", "payroll.contoso.local", "/", "InvalidName")]
    public void Add_refuses_with_the_stable_error_id(
        string name, string upstream, string hostname, string prefix, string errorId)
    {
        CasbConfiguration configuration = Seed();
        var app = new AppEntry { Name = name, Upstream = upstream, Hostnames = [hostname], PathPrefix = prefix };

        CasbException error = Assert.Throws<CasbException>(() => AppCatalog.Add(configuration, app, Now));

        Assert.Equal(errorId, error.ErrorId);
    }

    [Fact]
    public void A_rename_follows_into_every_policy_that_names_the_app()
    {
        CasbConfiguration configuration = Seed();
        configuration.ConditionalAccessPolicies[0].Apps.Add("microsoft online services");

        AppCatalog.Change(configuration, "Microsoft Online Services", new AppChange { NewName = "M365" }, Now);

        Assert.Equal("M365", configuration.Apps[0].Name);
        Assert.Equal(["M365"], configuration.AccessPolicies[0].Apps);
        Assert.Equal(["M365"], configuration.ConditionalAccessPolicies[0].Apps);
    }

    [Fact]
    public void A_rename_onto_another_app_is_AppExists_and_a_missing_app_is_AppNotFound()
    {
        CasbConfiguration configuration = Seed();

        Assert.Equal("AppExists", Assert.Throws<CasbException>(() =>
            AppCatalog.Change(configuration, "Azure Portal", new AppChange { NewName = "MICROSOFT online services" }, Now)).ErrorId);
        Assert.Equal("AppNotFound", Assert.Throws<CasbException>(() =>
            AppCatalog.Change(configuration, "Payroll", new AppChange { Upstream = "http://127.0.0.1:1" }, Now)).ErrorId);
    }

    [Fact]
    public void A_change_of_case_only_renames_the_app_and_its_references()
    {
        CasbConfiguration configuration = Seed();

        AppCatalog.Change(configuration, "Microsoft Online Services", new AppChange { NewName = "MICROSOFT Online Services" }, Now);

        Assert.Equal("MICROSOFT Online Services", configuration.Apps[0].Name);
        Assert.Equal(["MICROSOFT Online Services"], configuration.AccessPolicies[0].Apps);
    }

    [Fact]
    public void Only_the_given_fields_change()
    {
        CasbConfiguration configuration = Seed();
        configuration.Apps[1].ForwardClientCertificate = true;

        AppEntry changed = AppCatalog.Change(configuration, "Azure Portal", new AppChange { PathPrefix = "/portal" }, Now);

        Assert.Equal("/portal", changed.PathPrefix);
        Assert.Equal("https://127.0.0.1:9002", changed.Upstream);
        Assert.Equal(["portal.contoso.local"], changed.Hostnames);
        Assert.True(changed.ForwardClientCertificate);
        Assert.Equal(Now, changed.ModifiedAt);
    }

    [Fact]
    public void An_app_a_policy_names_is_not_removed_without_force_and_the_error_names_the_policy()
    {
        CasbConfiguration configuration = Seed();

        CasbException error = Assert.Throws<CasbException>(() => AppCatalog.Remove(configuration, "Microsoft Online Services", force: false, Now));

        Assert.Equal("AppInUse", error.ErrorId);
        Assert.Equal(CasbErrorKind.InvalidOperation, error.Kind);
        Assert.Contains("'Require certificate'", error.Message);
        Assert.Equal(2, configuration.Apps.Count);
    }

    [Fact]
    public void With_force_a_policy_left_with_no_app_is_turned_off_rather_than_widened_to_all_apps()
    {
        CasbConfiguration configuration = Seed();
        configuration.AccessPolicies.Add(new AccessPolicyEntry { Name = "Both", Apps = ["Microsoft Online Services", "Azure Portal"], Action = AccessPolicyAction.Block });
        configuration.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry { Name = "CA MOS", IncludeUsers = ["All"], Apps = ["Microsoft Online Services"] });

        AppRemoval removal = AppCatalog.Remove(configuration, "microsoft online services", force: true, Now);

        Assert.Equal("Microsoft Online Services", removal.App.Name);
        Assert.Equal(["CA MOS", "Require certificate"], removal.TurnedOffPolicies);
        Assert.False(configuration.AccessPolicies[0].Enabled);
        Assert.Equal(ConditionalAccessState.Off, configuration.ConditionalAccessPolicies[1].State);
        Assert.Equal(["Azure Portal"], configuration.AccessPolicies[1].Apps);
        Assert.True(configuration.AccessPolicies[1].Enabled);
        Assert.Equal(Now, configuration.AccessPolicies[1].ModifiedAt);
        Assert.Equal(ConditionalAccessState.On, configuration.ConditionalAccessPolicies[0].State); // named no app: untouched
        Assert.Equal(["Azure Portal"], configuration.Apps.Select(a => a.Name));
    }
}
