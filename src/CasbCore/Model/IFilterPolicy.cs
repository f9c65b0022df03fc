namespace CasbCore.Model;

/// <summary>
/// What access and session policies share: a name, the filters on the session (apps, device tags, users and groups
/// with exclusions, client app, IP ranges), a block message, a severity and an on/off switch. The catalogs change
/// both through it; each kind keeps its own action and filters.
/// </summary>
public interface IFilterPolicy
{
    string Name { get; set; }

    string? Description { get; set; }

    string? BlockMessage { get; set; }

    List<string> Apps { get; set; }

    List<string> DeviceTags { get; set; }

    FilterOperator DeviceTagOperator { get; set; }

    List<string> Users { get; set; }

    List<string> Groups { get; set; }

    List<string> ExcludeUsers { get; set; }

    List<string> ExcludeGroups { get; set; }

    AccessPolicyClientApp ClientApp { get; set; }

    List<string> IPRanges { get; set; }

    IPRangeOperator IPRangeOperator { get; set; }

    PolicySeverity Severity { get; set; }

    bool Enabled { get; set; }

    DateTimeOffset CreatedAt { get; set; }

    DateTimeOffset ModifiedAt { get; set; }
}
