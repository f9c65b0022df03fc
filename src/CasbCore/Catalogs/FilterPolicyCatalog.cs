using CasbCore.Model;
using CasbCore.Policies;

namespace CasbCore.Catalogs;

/// <summary>
/// Creating, changing, enabling, disabling and removing access or session policies: names unique ignoring case
/// (PolicyExists, PolicyNotFound), the shared filters normalized (device tags, IP ranges, users) and resolved against
/// the store (apps, groups). A kind adds the checks and fields of its own. Works inside a store update.
/// </summary>
public abstract class FilterPolicyCatalog<TPolicy, TChange>
    where TPolicy : class, IFilterPolicy
    where TChange : FilterPolicyChange
{
    public const string NotFoundErrorId = "PolicyNotFound";
    public const string ExistsErrorId = "PolicyExists";

    private readonly ConfigurationItemKind<TPolicy> items;
    private readonly string aKind;
    private readonly string setCommand;

    /// <param name="items">The kind's list in the configuration.</param>
    /// <param name="aKind">The kind with its article, as messages name it ("an access policy").</param>
    /// <param name="setCommand">The cmdlet that changes an existing policy, named when the name is taken.</param>
    private protected FilterPolicyCatalog(ConfigurationItemKind<TPolicy> items, string aKind, string setCommand)
    {
        this.items = items;
        this.aKind = aKind;
        this.setCommand = setCommand;
    }

    /// <summary>The kind in words (access policy).</summary>
    public string Display => items.Display;

    /// <summary>"Access policy 'X'": how a cmdlet names a policy it asks about.</summary>
    public string Describe(string name) => items.Describe(name);

    /// <summary>The policies of the kind, in store order.</summary>
    public IReadOnlyList<TPolicy> All(CasbConfiguration configuration) => items.ListOf(configuration);

    public TPolicy? Find(CasbConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return items.Find(configuration, name);
    }

    public TPolicy Get(CasbConfiguration configuration, string name) => Find(configuration, name) ?? throw NotFound(name);

    public CasbException NotFound(string name) =>
        new(NotFoundErrorId, CasbErrorKind.ObjectNotFound, $"The {Display} '{name}' is not in the store.", name);

    /// <summary>Normalizes the fields of a new policy that need no store (UnknownDeviceTag, InvalidIPRange, InvalidUser, and the kind's own).</summary>
    public TPolicy Prepare(TPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Name = ItemNames.Normalize(policy.Name, "policy");
        policy.DeviceTags = ConfigurationInput.DeviceTags(policy.DeviceTags);
        policy.IPRanges = ConfigurationInput.IPRanges(policy.IPRanges);
        policy.Users = ConfigurationInput.IncludeUsers(policy.Users);
        policy.ExcludeUsers = ConfigurationInput.ExcludeUsers(policy.ExcludeUsers);
        PrepareOwn(policy);
        return policy;
    }

    /// <summary>Normalizes a change's fields that need no store, so a cmdlet can refuse bad arguments before it asks to go ahead.</summary>
    public TChange Prepare(TChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        FilterPolicyChange shared = (FilterPolicyChange)change with
        {
            NewName = change.NewName is null ? null : ItemNames.Normalize(change.NewName, "policy"),
            DeviceTags = change.DeviceTags is null ? null : ConfigurationInput.DeviceTags(change.DeviceTags),
            IPRanges = change.IPRanges is null ? null : ConfigurationInput.IPRanges(change.IPRanges),
            Users = change.Users is null ? null : ConfigurationInput.IncludeUsers(change.Users),
            ExcludeUsers = change.ExcludeUsers is null ? null : ConfigurationInput.ExcludeUsers(change.ExcludeUsers),
        };
        return PrepareOwn((TChange)shared); // with clones through the record's virtual copy: still a TChange
    }

    /// <summary>Adds a policy; PolicyExists when the name is taken, UnknownApp or UnknownGroup for a name not in the store.</summary>
    public TPolicy Add(CasbConfiguration configuration, TPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Prepare(policy);
        if (Find(configuration, policy.Name) is not null)
        {
            throw new CasbException(
                ExistsErrorId, CasbErrorKind.ResourceExists,
                $"{char.ToUpperInvariant(aKind[0])}{aKind[1..]} named '{policy.Name}' is already in the store. Use {setCommand} to change it.", policy.Name);
        }

        policy.Apps = ConfigurationInput.Apps(configuration, policy.Apps, policy.Name);
        policy.Groups = ConfigurationInput.Groups(configuration, policy.Groups, policy.Name);
        policy.ExcludeGroups = ConfigurationInput.Groups(configuration, policy.ExcludeGroups, policy.Name);
        policy.CreatedAt = policy.ModifiedAt = now;
        items.ListOf(configuration).Add(policy);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    /// <summary>Changes a policy; a new name is refused with PolicyExists when another policy of the kind has it.</summary>
    public TPolicy Change(CasbConfiguration configuration, string name, TChange change, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        change = Prepare(change);
        TPolicy policy = Get(configuration, name);
        if (change.NewName is { } newName && !ItemNames.IsSame(newName, policy.Name) && Find(configuration, newName) is not null)
        {
            throw new CasbException(
                ExistsErrorId, CasbErrorKind.ResourceExists,
                $"Cannot rename '{policy.Name}': {aKind} named '{newName}' is already in the store.", newName);
        }

        policy.Name = change.NewName ?? policy.Name;
        ChangeOwn(policy, change);
        policy.BlockMessage = change.BlockMessage is null ? policy.BlockMessage : change.BlockMessage.Length == 0 ? null : change.BlockMessage;
        policy.Description = change.Description is null ? policy.Description : change.Description.Length == 0 ? null : change.Description;
        policy.Apps = change.Apps is null ? policy.Apps : ConfigurationInput.Apps(configuration, change.Apps, policy.Name);
        policy.DeviceTags = change.DeviceTags?.ToList() ?? policy.DeviceTags;
        policy.DeviceTagOperator = change.DeviceTagOperator ?? policy.DeviceTagOperator;
        policy.Users = change.Users?.ToList() ?? policy.Users;
        policy.ExcludeUsers = change.ExcludeUsers?.ToList() ?? policy.ExcludeUsers;
        policy.Groups = change.Groups is null ? policy.Groups : ConfigurationInput.Groups(configuration, change.Groups, policy.Name);
        policy.ExcludeGroups = change.ExcludeGroups is null ? policy.ExcludeGroups : ConfigurationInput.Groups(configuration, change.ExcludeGroups, policy.Name);
        policy.ClientApp = change.ClientApp ?? policy.ClientApp;
        policy.IPRanges = change.IPRanges?.ToList() ?? policy.IPRanges;
        policy.IPRangeOperator = change.IPRangeOperator ?? policy.IPRangeOperator;
        policy.Severity = change.Severity ?? policy.Severity;
        policy.ModifiedAt = now;
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    /// <summary>Turns a policy on or off; one already so is left as it is (no new revision).</summary>
    public TPolicy SetEnabled(CasbConfiguration configuration, string name, bool enabled, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        TPolicy policy = Get(configuration, name);
        if (policy.Enabled != enabled)
        {
            policy.Enabled = enabled;
            policy.ModifiedAt = now;
        }

        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    public TPolicy Remove(CasbConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        TPolicy policy = Get(configuration, name);
        items.ListOf(configuration).Remove(policy);
        ConfigurationValidator.ThrowIfInvalid(configuration);
        return policy;
    }

    /// <summary>Normalizes the kind's own fields of a new policy, after the shared ones.</summary>
    private protected abstract void PrepareOwn(TPolicy policy);

    /// <summary>Normalizes the kind's own fields of a change, after the shared ones.</summary>
    private protected abstract TChange PrepareOwn(TChange change);

    /// <summary>Applies the kind's own fields of a prepared change, after the name and before the shared fields.</summary>
    private protected abstract void ChangeOwn(TPolicy policy, TChange change);
}
