using System.Management.Automation;
using CasbCore.Model;
using CasbCore.Store;

namespace CasbModule.Tests.Cmdlets;

/// <summary>
/// Item names may hold the wildcard characters of -Name ([ ] * ? `): a name as stored, passed as it is (from a variable
/// or a tab completion) or escaped, removes that item and no other; a pattern that names nothing is ObjectNotFound.
/// </summary>
public sealed class LiteralNameSelectionTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("casb-literal-").FullName;
    private readonly PowerShellHost _host = new();

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_store, recursive: true);
    }

    /// <summary>Per kind: the cmdlet that removes it, how one is created ($n), and the stored names.</summary>
    private static readonly Dictionary<string, (string Remove, string Create, Func<CasbConfiguration, IEnumerable<string>> Names)> Kinds = new()
    {
        ["app"] = ("Remove-CasbApp", "Add-CasbApp -StorePath $store -Name $n -Upstream http://127.0.0.1:8080", c => c.Apps.Select(a => a.Name)),
        ["group"] = ("Remove-CasbGroup", "New-CasbGroup -StorePath $store -Name $n", c => c.Groups.Select(g => g.Name)),
        ["conditional-access policy"] = ("Remove-CasbConditionalAccessPolicy", "New-CasbConditionalAccessPolicy -StorePath $store -Name $n -IncludeUser All -SessionControl AppControl", c => c.ConditionalAccessPolicies.Select(p => p.Name)),
        ["access policy"] = ("Remove-CasbAccessPolicy", "New-CasbAccessPolicy -StorePath $store -Name $n -Action Test", c => c.AccessPolicies.Select(p => p.Name)),
        ["session policy"] = ("Remove-CasbSessionPolicy", "New-CasbSessionPolicy -StorePath $store -Name $n -ControlType MonitorOnly", c => c.SessionPolicies.Select(p => p.Name)),
    };

    /// <summary>A name with wildcard characters, and a neighbour its text matches as a pattern (or as an escaped one).</summary>
    private static readonly (string Name, string Neighbour)[] Names =
    [
        ("Block [x] *", "Block x all"),
        ("Block y?", "Block yz"),
        ("Block*", "Blockade"),
        ("Block [x", "Block x"),
        ("Block `x", "Block x"),
        ("Block `[y`]", "Block [y]"),
    ];

    public static TheoryData<string, string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, string, bool>();
        foreach (string kind in Kinds.Keys)
        {
            foreach ((string name, string neighbour) in Names)
            {
                data.Add(kind, name, neighbour, false);
                data.Add(kind, name, neighbour, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_name_with_wildcard_characters_removes_that_item_only(string kind, string name, string neighbour, bool escaped)
    {
        (string remove, string create, Func<CasbConfiguration, IEnumerable<string>> names) = Kinds[kind];
        foreach (string n in (string[])[name, neighbour])
        {
            Assert.Empty(_host.Run(create, new Dictionary<string, object?> { ["store"] = _store, ["n"] = n }).Errors);
        }

        string given = escaped ? WildcardPattern.Escape(name) : name;
        var (_, errors) = _host.Run($"{remove} -StorePath $store -Name $n -Confirm:$false", new Dictionary<string, object?> { ["store"] = _store, ["n"] = given });

        Assert.Empty(errors);
        Assert.Equal([neighbour], names(new CasbStore(_store).Load()));
    }

    [Theory]
    [InlineData("Nothing [here")]
    [InlineData("Nothing `[here`]")]
    public void A_name_that_matches_nothing_is_object_not_found(string given)
    {
        _host.Run("New-CasbAccessPolicy -StorePath $store -Name Other -Action Test", new Dictionary<string, object?> { ["store"] = _store });

        var (_, errors) = _host.Run("Remove-CasbAccessPolicy -StorePath $store -Name $n", new Dictionary<string, object?> { ["store"] = _store, ["n"] = given });

        ErrorRecord error = Assert.Single(errors);
        Assert.Equal("PolicyNotFound,CasbModule.Cmdlets.RemoveCasbAccessPolicyCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal(["Other"], new CasbStore(_store).Load().AccessPolicies.Select(p => p.Name));
    }

    /// <summary>The other -Subject, -Issuer and -Thumbprint filters: a text that is no valid pattern is a literal one, never a RuntimeException.</summary>
    [Theory]
    [InlineData("Get-CasbTrustedRoot -StorePath $store -Subject 'CN=Lab [x'", null)]
    [InlineData("Get-CasbTrustedRoot -StorePath $store -Thumbprint 'AB['", "TrustedRootNotFound")]
    [InlineData("Get-CasbCertificateRevocationList -StorePath $store -Issuer 'CN=Lab [x'", null)]
    public void A_filter_that_is_no_valid_pattern_is_a_literal_text(string script, string? errorId)
    {
        using var pki = CasbCore.Certificates.LabPki.Create();
        string lab = Path.Combine(_store, "..", Path.GetFileName(_store) + "-lab");
        pki.WriteTo(lab, "pw");
        var variables = new Dictionary<string, object?> { ["store"] = _store, ["lab"] = lab };
        Assert.Empty(_host.Run(
            "Add-CasbTrustedRoot -StorePath $store -Path (Join-Path $lab root-ca.pem), (Join-Path $lab intermediate-ca.pem); " +
            "Add-CasbCertificateRevocationList -StorePath $store -Path (Join-Path $lab intermediate-ca.crl)", variables).Errors);

        var (output, errors) = _host.Run(script, variables);

        Assert.Empty(output);
        Assert.Equal(errorId is null ? [] : [errorId], errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]));
        Assert.All(errors, e => Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category));
        Directory.Delete(lab, recursive: true);
    }
}
