using System.Collections;
using System.Management.Automation;
using CasbCore.Model;
using CasbCore.Store;
using CasbModule.Cmdlets;
using CasbModule.Completers;
using CasbModule.Types;

namespace CasbModule.Tests.Cmdlets;

public sealed class PolicyCmdletBindingTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("casb-binding-").FullName;
    private readonly PowerShellHost _host = new();

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_store, recursive: true);
    }

    private (System.Collections.ObjectModel.Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors) Run(string script) =>
        _host.Run(script, new Dictionary<string, object?> { ["store"] = _store });

    [Fact]
    public void The_seed_policy_binds_as_one_line_and_stores_the_canonical_device_tag()
    {
        Run("Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream http://127.0.0.1:8080");

        var (output, errors) = Run(
            "New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -App 'Microsoft Online Services' " +
            "-DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.'");

        Assert.Empty(errors);
        CasbAccessPolicy policy = Assert.IsType<CasbAccessPolicy>(Assert.Single(output).BaseObject);
        Assert.Equal(AccessPolicyAction.Block, policy.Action);
        AccessPolicyEntry stored = Assert.Single(new CasbStore(_store).Load().AccessPolicies);
        Assert.Equal(["Valid client certificate"], stored.DeviceTags);
        Assert.Equal(FilterOperator.DoesNotEqual, stored.DeviceTagOperator);
        Assert.Equal(["Microsoft Online Services"], stored.Apps);
        Assert.Equal(AccessPolicyClientApp.Browser, stored.ClientApp);
    }

    [Fact]
    public void Piped_policies_bind_to_the_object_set_and_change_the_store_they_came_from()
    {
        Run("'vpn', 'vendors', 'other' | ForEach-Object { New-CasbAccessPolicy -StorePath $store -Name $_ -Action Test }");

        var (_, errors) = Run("Get-CasbAccessPolicy -StorePath $store -Name v* | Disable-CasbAccessPolicy");

        Assert.Empty(errors);
        Dictionary<string, bool> enabled = new CasbStore(_store).Load().AccessPolicies.ToDictionary(p => p.Name, p => p.Enabled);
        Assert.Equal(new Dictionary<string, bool> { ["vpn"] = false, ["vendors"] = false, ["other"] = true }, enabled);
    }

    [Fact]
    public void A_bad_upstream_is_reported_with_the_stable_id_and_writes_nothing()
    {
        // A statement-terminating error in a script lands in the error stream; the script itself goes on.
        var (_, errors) = Run("Add-CasbApp -StorePath $store -Name A -Upstream ftp://127.0.0.1/");

        Assert.Equal("InvalidUpstream,CasbModule.Cmdlets.AddCasbAppCommand", Assert.Single(errors).FullyQualifiedErrorId);
        Assert.False(File.Exists(Path.Combine(_store, CasbStore.ConfigurationFileName)));
    }

    [Fact]
    public void New_conditional_access_policy_has_an_app_control_set_and_a_block_set()
    {
        var (output, _) = Run("(Get-Command New-CasbConditionalAccessPolicy).ParameterSets | ForEach-Object { '{0}:{1}' -f $_.Name, $_.IsDefault }");

        Assert.Equal(["AppControl:True", "Block:False"], output.Select(o => o.ToString()).Order());
    }

    [Fact]
    public void Test_casb_access_refuses_an_unparsable_ip_address_before_deciding()
    {
        Run("Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream http://127.0.0.1:8080");

        var (output, errors) = Run("Test-CasbAccess -StorePath $store -App 'Azure Portal' -IPAddress 10.0.0.300");

        Assert.Empty(output);
        Assert.Equal("InvalidIPAddress,CasbModule.Cmdlets.TestCasbAccessCommand", Assert.Single(errors).FullyQualifiedErrorId);
    }

    [Theory]
    [InlineData("https://bücher.contoso.com/cart")]
    [InlineData("https://BÜCHER.contoso.com./cart")]
    [InlineData("https://xn--bcher-kva.contoso.com/cart")]
    public void Test_casb_access_finds_the_app_of_an_international_host_name_as_the_gateway_does(string uri)
    {
        // A browser sends the host of https://bücher.contoso.com/ as its ASCII (punycode) form, which is how app host names are stored.
        Run("Add-CasbApp -StorePath $store -Name Shop -Upstream http://127.0.0.1:8080 -Hostname xn--bcher-kva.contoso.com");

        var (output, errors) = Run($"Test-CasbAccess -StorePath $store -Uri '{uri}'");

        Assert.Empty(errors);
        Assert.Equal("Shop", Assert.Single(output).Properties["App"].Value);
    }

    [Theory]
    [InlineData("https://[::1]:8443/cart")]
    [InlineData("https://127.0.0.1/cart")]
    public void Test_casb_access_finds_the_app_of_an_address_host(string uri)
    {
        Run("Add-CasbApp -StorePath $store -Name Shop -Upstream http://127.0.0.1:8080 -Hostname '[::1]', 127.0.0.1");

        var (output, errors) = Run($"Test-CasbAccess -StorePath $store -Uri '{uri}'");

        Assert.Empty(errors);
        Assert.Equal("Shop", Assert.Single(output).Properties["App"].Value);
    }

    [Fact]
    public void The_app_completer_reads_the_store_named_by_StorePath_and_quotes_names_with_spaces()
    {
        Run("Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream http://127.0.0.1:8080; " +
            "Add-CasbApp -StorePath $store -Name Mail -Upstream http://127.0.0.1:8081; " +
            "Add-CasbApp -StorePath $store -Name \"O'Brien Portal\" -Upstream http://127.0.0.1:8082");

        List<string> completions = new AppNameCompleter()
            .CompleteArgument("Get-CasbApp", "Name", "", null!, new Hashtable { ["StorePath"] = _store })
            .Select(c => c.CompletionText)
            .ToList();

        Assert.Equal(["Mail", "'Microsoft Online Services'", "'O''Brien Portal'"], completions);
    }

    [Fact]
    public void The_device_tag_completer_offers_both_spellings()
    {
        List<string> completions = new DeviceTagCompleter()
            .CompleteArgument("New-CasbAccessPolicy", "DeviceTag", "'val", null!, new Hashtable())
            .Select(c => c.CompletionText)
            .ToList();

        Assert.Equal(["'Valid client certificate'", "ValidClientCertificate"], completions);
    }

    public static TheoryData<Type> PolicyCmdlets() =>
        new(typeof(AddCasbAppCommand).Assembly.GetExportedTypes()
            .Where(t => !t.IsAbstract && t.GetCustomAttributes(typeof(CmdletAttribute), false).Length > 0)
            .Where(t => t.Name.Contains("App", StringComparison.Ordinal) || t.Name.Contains("Group", StringComparison.Ordinal)
                || t.Name.Contains("Policy", StringComparison.Ordinal) || t.Name.Contains("Configuration", StringComparison.Ordinal)
                || t.Name.Contains("Access", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(PolicyCmdlets))]
    public void Every_policy_cmdlet_that_changes_state_supports_ShouldProcess(Type cmdlet)
    {
        var attribute = (CmdletAttribute)cmdlet.GetCustomAttributes(typeof(CmdletAttribute), false)[0];
        bool changesState = attribute.VerbName is not (VerbsCommon.Get or VerbsDiagnostic.Test);

        Assert.Equal(changesState, attribute.SupportsShouldProcess);
        Assert.True(cmdlet.IsSealed, $"{cmdlet.Name} should be sealed.");
    }
}
