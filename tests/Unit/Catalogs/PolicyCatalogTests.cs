using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;
using static CasbModule.Tests.Policies.PolicyTestData;

namespace CasbModule.Tests.Catalogs;

public sealed class PolicyCatalogTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_new_access_policy_is_stored_canonical_with_apps_and_groups_as_the_store_spells_them()
    {
        CasbConfiguration configuration = Seed();

        AccessPolicyEntry policy = AccessPolicyCatalog.Instance.Add(configuration, new AccessPolicyEntry
        {
            Name = " Outside ",
            Action = AccessPolicyAction.Block,
            Apps = ["azure PORTAL", "Azure Portal"],
            Groups = ["vendors"],
            DeviceTags = ["ValidClientCertificate"],
            IPRanges = [" 10.0.0.0/8", "10.0.0.0/8"],
            Users = ["a@contoso.com", "A@contoso.com"],
        }, Now);

        Assert.Equal("Outside", policy.Name);
        Assert.Equal(["Azure Portal"], policy.Apps);
        Assert.Equal(["Vendors"], policy.Groups);
        Assert.Equal(["Valid client certificate"], policy.DeviceTags);
        Assert.Equal(["10.0.0.0/8"], policy.IPRanges);
        Assert.Equal(["a@contoso.com"], policy.Users);
        Assert.Equal(Now, policy.CreatedAt);
    }

    public static TheoryData<string, AccessPolicyEntry> BadAccessPolicies => new()
    {
        { "PolicyExists", new AccessPolicyEntry { Name = "REQUIRE certificate" } },
        { "UnknownApp", new AccessPolicyEntry { Name = "P", Apps = ["Payroll"] } },
        { "UnknownGroup", new AccessPolicyEntry { Name = "P", ExcludeGroups = ["Admins"] } },
        { "UnknownDeviceTag", new AccessPolicyEntry { Name = "P", DeviceTags = ["Intune compliant"] } },
        { "InvalidIPRange", new AccessPolicyEntry { Name = "P", IPRanges = ["10.0.0.1/33"] } },
        { "InvalidUser", new AccessPolicyEntry { Name = "P", Users = [""] } },
    };

    [Theory]
    [MemberData(nameof(BadAccessPolicies))]
    public void A_bad_access_policy_is_refused_with_its_stable_id(string errorId, AccessPolicyEntry policy)
    {
        CasbConfiguration configuration = Seed();

        Assert.Equal(errorId, Assert.Throws<CasbException>(() => AccessPolicyCatalog.Instance.Add(configuration, policy, Now)).ErrorId);
        Assert.Single(configuration.AccessPolicies);
    }

    [Fact]
    public void A_change_replaces_lists_clears_texts_with_an_empty_string_and_keeps_what_was_not_given()
    {
        CasbConfiguration configuration = Seed();

        AccessPolicyEntry policy = AccessPolicyCatalog.Instance.Change(configuration, "require certificate", new AccessPolicyChange
        {
            NewName = "Require a certificate",
            BlockMessage = "",
            Apps = [],
            Severity = PolicySeverity.High,
        }, Now);

        Assert.Equal("Require a certificate", policy.Name);
        Assert.Null(policy.BlockMessage);
        Assert.Empty(policy.Apps);
        Assert.Equal(PolicySeverity.High, policy.Severity);
        Assert.Equal(AccessPolicyAction.Block, policy.Action);
        Assert.Equal(["Valid client certificate"], policy.DeviceTags);
        Assert.Equal(FilterOperator.DoesNotEqual, policy.DeviceTagOperator);
    }

    [Fact]
    public void Enabling_an_enabled_policy_changes_nothing_not_even_its_time()
    {
        CasbConfiguration configuration = Seed();
        DateTimeOffset before = configuration.AccessPolicies[0].ModifiedAt;

        AccessPolicyCatalog.Instance.SetEnabled(configuration, "Require certificate", enabled: true, Now);
        Assert.Equal(before, configuration.AccessPolicies[0].ModifiedAt);

        AccessPolicyCatalog.Instance.SetEnabled(configuration, "Require certificate", enabled: false, Now);
        Assert.False(configuration.AccessPolicies[0].Enabled);
        Assert.Equal(Now, configuration.AccessPolicies[0].ModifiedAt);
        Assert.Equal("PolicyNotFound", Assert.Throws<CasbException>(() => AccessPolicyCatalog.Instance.Remove(configuration, "Nope")).ErrorId);
    }

    [Fact]
    public void Access_and_session_policies_keep_names_unique_within_their_kind_and_name_the_kind_in_their_errors()
    {
        AssertNameRules(
            AccessPolicyCatalog.Instance, name => new AccessPolicyEntry { Name = name }, name => new AccessPolicyChange { NewName = name },
            "An access policy named 'first' is already in the store. Use Set-CasbAccessPolicy to change it.",
            "Cannot rename 'Second': an access policy named 'FIRST' is already in the store.",
            "The access policy 'Third' is not in the store.");
        AssertNameRules(
            SessionPolicyCatalog.Instance, name => new SessionPolicyEntry { Name = name }, name => new SessionPolicyChange { NewName = name },
            "A session policy named 'first' is already in the store. Use Set-CasbSessionPolicy to change it.",
            "Cannot rename 'Second': a session policy named 'FIRST' is already in the store.",
            "The session policy 'Third' is not in the store.");

        // A name is unique within its kind only: the seed's access policy's name is free for a session policy.
        CasbConfiguration configuration = Seed();
        SessionPolicyCatalog.Instance.Add(configuration, new SessionPolicyEntry { Name = configuration.AccessPolicies[0].Name }, Now);
        Assert.Equal(configuration.AccessPolicies[0].Name, Assert.Single(configuration.SessionPolicies).Name);
    }

    private static void AssertNameRules<TPolicy, TChange>(
        FilterPolicyCatalog<TPolicy, TChange> catalog, Func<string, TPolicy> create, Func<string, TChange> rename,
        string exists, string renameTaken, string notFound)
        where TPolicy : class, IFilterPolicy
        where TChange : FilterPolicyChange
    {
        CasbConfiguration configuration = Seed();
        List<string> before = catalog.All(configuration).Select(p => p.Name).ToList();
        int policies = configuration.AccessPolicies.Count + configuration.SessionPolicies.Count;
        catalog.Add(configuration, create("First"), Now);
        catalog.Add(configuration, create("Second"), Now);

        CasbException taken = Assert.Throws<CasbException>(() => catalog.Add(configuration, create(" first "), Now));
        CasbException renamed = Assert.Throws<CasbException>(() => catalog.Change(configuration, "second", rename("FIRST"), Now));
        CasbException missing = Assert.Throws<CasbException>(() => catalog.SetEnabled(configuration, "Third", enabled: false, Now));

        Assert.Equal(("PolicyExists", CasbErrorKind.ResourceExists, exists), (taken.ErrorId, taken.Kind, taken.Message));
        Assert.Equal(("PolicyExists", CasbErrorKind.ResourceExists, renameTaken), (renamed.ErrorId, renamed.Kind, renamed.Message));
        Assert.Equal(("PolicyNotFound", CasbErrorKind.ObjectNotFound, notFound), (missing.ErrorId, missing.Kind, missing.Message));
        Assert.Equal("FIRST", catalog.Change(configuration, "first", rename("FIRST"), Now).Name); // the same policy in another case
        catalog.Remove(configuration, "first");
        Assert.Equal([.. before, "Second"], catalog.All(configuration).Select(p => p.Name));
        Assert.Equal(policies + 1, configuration.AccessPolicies.Count + configuration.SessionPolicies.Count);
    }

    [Fact]
    public void A_conditional_access_policy_stores_All_for_everyone_and_switches_controls()
    {
        CasbConfiguration configuration = Seed();

        ConditionalAccessPolicyEntry policy = ConditionalAccessPolicyCatalog.Add(configuration, new ConditionalAccessPolicyEntry
        {
            Name = "Block legacy",
            IncludeUsers = ["all"],
            ClientAppTypes = [ClientAppType.MobileAndDesktop, ClientAppType.MobileAndDesktop],
            Grant = GrantControl.Block,
        }, Now);
        Assert.Equal(["All"], policy.IncludeUsers);
        Assert.Equal([ClientAppType.MobileAndDesktop], policy.ClientAppTypes);

        ConditionalAccessPolicyCatalog.Change(configuration, "block legacy", new ConditionalAccessPolicyChange { SessionControl = SessionControlKind.AppControl }, Now);
        Assert.Equal(GrantControl.None, policy.Grant);
        Assert.Equal(SessionControlKind.AppControl, policy.SessionControl);

        ConditionalAccessPolicyCatalog.Change(configuration, "block legacy", new ConditionalAccessPolicyChange { Grant = GrantControl.Block }, Now);
        Assert.Equal(GrantControl.Block, policy.Grant);
        Assert.Equal(SessionControlKind.None, policy.SessionControl);
    }

    [Fact]
    public void Both_controls_at_once_are_ConflictingControls_and_a_taken_name_is_PolicyExists()
    {
        CasbConfiguration configuration = Seed();
        ConditionalAccessPolicyCatalog.Add(configuration, new ConditionalAccessPolicyEntry { Name = "Second", IncludeUsers = ["All"] }, Now);

        CasbException conflict = Assert.Throws<CasbException>(() => ConditionalAccessPolicyCatalog.Change(configuration, "Second",
            new ConditionalAccessPolicyChange { SessionControl = SessionControlKind.AppControl, Grant = GrantControl.Block }, Now));
        CasbException exists = Assert.Throws<CasbException>(() => ConditionalAccessPolicyCatalog.Change(configuration, "Second",
            new ConditionalAccessPolicyChange { NewName = "route to app control" }, Now));

        Assert.Equal(("ConflictingControls", CasbErrorKind.InvalidArgument), (conflict.ErrorId, conflict.Kind));
        Assert.Equal(("PolicyExists", CasbErrorKind.ResourceExists), (exists.ErrorId, exists.Kind));
        Assert.Equal("Second", configuration.ConditionalAccessPolicies[1].Name);
    }

    [Fact]
    public void Gateway_settings_change_field_by_field_and_refuse_a_proxy_the_engine_cannot_parse()
    {
        CasbConfiguration configuration = Seed();

        GatewaySettingsCatalog.Change(configuration, new GatewaySettingsChange { DefaultAction = DefaultAction.Block, TrustedProxies = ["10.0.0.5", "10.0.0.5", "10.1.0.0/16"] });

        Assert.Equal(DefaultAction.Block, configuration.Settings.DefaultAction);
        Assert.Equal(["10.0.0.5", "10.1.0.0/16"], configuration.Settings.TrustedProxies);
        Assert.Equal(RevocationCheckMode.Optional, configuration.Settings.RevocationMode);
        Assert.Equal("InvalidTrustedProxy", Assert.Throws<CasbException>(() =>
            GatewaySettingsCatalog.Change(configuration, new GatewaySettingsChange { TrustedProxies = ["proxy.contoso.local"] })).ErrorId);
    }
}
