using System.Reflection;
using System.Text.Json.Nodes;
using CasbCore;
using CasbCore.Catalogs;
using CasbCore.Model;
using CasbCore.Store;

namespace CasbModule.Tests.Catalogs;

/// <summary>
/// A hand-written file whose JSON has a null where the model has a list, an object or a non-nullable text, a null
/// among a list's items, or a key named twice in any object: each is ImportFileInvalid when read, never a .NET
/// exception nor a configuration the validator passes and the engine then cannot compile. Generated from the model:
/// every such property of every item kind, so a new field is covered when it is added.
/// </summary>
public sealed class ImportFileShapeTests
{
    private static readonly (string Key, Type Type)[] Kinds =
    [
        ("settings", typeof(GatewaySettings)), ("apps", typeof(AppEntry)), ("groups", typeof(GroupEntry)),
        ("conditionalAccessPolicies", typeof(ConditionalAccessPolicyEntry)), ("accessPolicies", typeof(AccessPolicyEntry)),
        ("sessionPolicies", typeof(SessionPolicyEntry)), ("trustedRoots", typeof(TrustedRootEntry)),
        ("revocationLists", typeof(RevocationListEntry)), ("identityProvider", typeof(IdentityProviderEntry)),
    ];

    private static readonly NullabilityInfoContext Nullability = new();

    public static TheoryData<string, string> BadShapes()
    {
        var data = new TheoryData<string, string>();
        foreach (PropertyInfo top in typeof(CasbConfiguration).GetProperties().Where(p => !p.PropertyType.IsValueType))
        {
            if (Nullability.Create(top).ReadState != NullabilityState.Nullable)
            {
                data.Add($"$.{Camel(top.Name)} null", Document(root => root[Camel(top.Name)] = null));
            }

            if (top.PropertyType.IsGenericType)
            {
                data.Add($"$.{Camel(top.Name)}[0] null", Document(root => root[Camel(top.Name)] = new JsonArray((JsonNode?)null)));
            }
        }

        foreach ((string key, Type type) in Kinds)
        {
            foreach (PropertyInfo property in type.GetProperties().Where(p => p.CanWrite && !p.PropertyType.IsValueType))
            {
                string name = Camel(property.Name);
                if (Nullability.Create(property).ReadState != NullabilityState.Nullable)
                {
                    data.Add($"{key}.{name} null", Document(root => Item(root, key)[name] = null));
                }

                if (property.PropertyType.IsGenericType && !property.PropertyType.GetGenericArguments()[0].IsValueType)
                {
                    data.Add($"{key}.{name}[0] null", Document(root => Item(root, key)[name] = new JsonArray((JsonNode?)null)));
                }
            }

            data.Add($"{key} with a key twice", Document(root => Item(root, key)).Replace("\"name\": \"X\"", "\"name\": \"X\", \"name\": \"Y\""));
        }

        data.Add("schemaVersion twice", """{ "schemaVersion": 3, "schemaVersion": 3 }""");
        data.Add("an access policy's action twice", """{ "schemaVersion": 3, "accessPolicies": [ { "name": "P", "action": "Block", "action": "Test" } ] }""");
        return data;
    }

    [Theory]
    [MemberData(nameof(BadShapes))]
    public void A_null_where_the_model_has_none_or_a_key_named_twice_is_ImportFileInvalid(string what, string json)
    {
        CasbException error = Assert.Throws<CasbException>(() => ConfigurationImport.Read(System.Text.Encoding.UTF8.GetBytes(json), "p.json"));

        Assert.True(error.ErrorId == ConfigurationImport.InvalidFileErrorId, $"{what}: {error.ErrorId} {error.Message}");
    }

    [Theory]
    [MemberData(nameof(BadShapes))]
    public void A_store_document_of_that_shape_is_StoreCorrupt_never_a_configuration_the_engine_cannot_compile(string what, string json)
    {
        CasbException error = Assert.Throws<CasbException>(() => CasbStore.Parse(System.Text.Encoding.UTF8.GetBytes(json), "casb.json"));

        Assert.True(error.ErrorId == "StoreCorrupt", $"{what}: {error.ErrorId} {error.Message}");
    }

    public static TheoryData<string, string> UnknownKeys()
    {
        var data = new TheoryData<string, string>();
        foreach ((string key, Type type) in Kinds)
        {
            foreach (PropertyInfo property in type.GetProperties().Where(p => p.CanWrite))
            {
                // PowerShell's ConvertTo-Json of a Get-Casb* object spells keys as .NET does: "Action", not "action".
                data.Add($"{key}.{property.Name}", Document(root => Item(root, key)[property.Name] = JsonValue.Create("Block")));
            }

            data.Add($"{key}.exludeUsers", Document(root => Item(root, key)["exludeUsers"] = new JsonArray("x")));
        }

        data.Add("$.AccessPolicies", Document(root => root["AccessPolicies"] = new JsonArray()));
        return data;
    }

    [Theory]
    [MemberData(nameof(UnknownKeys))]
    public void A_key_the_model_does_not_have_is_ImportFileInvalid_not_silently_left_at_its_default(string what, string json)
    {
        CasbException error = Assert.Throws<CasbException>(() => ConfigurationImport.Read(System.Text.Encoding.UTF8.GetBytes(json), "p.json"));

        Assert.True(error.ErrorId == ConfigurationImport.InvalidFileErrorId, $"{what}: {error.ErrorId} {error.Message}");
    }

    [Fact]
    public void A_block_policy_whose_action_is_spelled_Action_is_not_imported_as_a_test_policy()
    {
        string json = """{ "schemaVersion": 3, "accessPolicies": [ { "name": "Block unmanaged", "Action": "Block", "deviceTags": [ "Valid client certificate" ], "deviceTagOperator": "DoesNotEqual" } ] }""";

        CasbException error = Assert.Throws<CasbException>(() => ConfigurationImport.Read(System.Text.Encoding.UTF8.GetBytes(json), "p.json"));

        Assert.Equal(ConfigurationImport.InvalidFileErrorId, error.ErrorId);
        Assert.Contains("Action", error.Message);
    }

    [Fact]
    public void An_export_of_a_store_with_every_nullable_field_null_still_reads()
    {
        var configuration = new CasbConfiguration();
        configuration.AccessPolicies.Add(new AccessPolicyEntry { Name = "P", Description = null, BlockMessage = null });
        configuration.SessionPolicies.Add(new SessionPolicyEntry { Name = "S", MinFileSizeMB = null });
        configuration.Groups.Add(new GroupEntry { Name = "G", Description = null });

        ImportFile file = ConfigurationImport.Read(CasbStore.Serialize(configuration), "p.json");

        Assert.Equal(CasbStore.Serialize(configuration), CasbStore.Serialize(file.Configuration));
    }

    private static string Camel(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);

    private static JsonObject Item(JsonObject root, string key)
    {
        if (key is "settings" or "identityProvider")
        {
            return (JsonObject)(root[key] ??= new JsonObject { ["name"] = "X" });
        }

        var item = new JsonObject { ["name"] = "X" };
        root[key] = new JsonArray(item);
        return item;
    }

    private static string Document(Action<JsonObject> shape)
    {
        var root = new JsonObject { ["schemaVersion"] = CasbConfiguration.CurrentSchemaVersion };
        shape(root);
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }
}

public sealed class ImportBlankUserTests
{
    public static TheoryData<string, string> BlankUsers()
    {
        var data = new TheoryData<string, string>();
        foreach ((string kind, string[] lists) in (ReadOnlySpan<(string, string[])>)
            [("accessPolicies", ["users", "excludeUsers"]), ("sessionPolicies", ["users", "excludeUsers"]),
             ("conditionalAccessPolicies", ["includeUsers", "excludeUsers"])])
        {
            foreach (string list in lists)
            {
                foreach (string blank in (string[])["", " ", "\t", "\u00a0"])
                {
                    data.Add($"{kind}.{list}", $$"""{ "schemaVersion": 3, "{{kind}}": [ { "name": "P", "{{list}}": [ "alice@contoso.com", "{{System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping.Encode(blank)}}" ] } ] }""");
                }
            }
        }

        return data;
    }

    /// <summary>The cmdlets refuse an empty user name (InvalidUser); an import must not store one: among an access policy's users it made the policy everyone's.</summary>
    [Theory]
    [MemberData(nameof(BlankUsers))]
    public void A_blank_user_name_in_an_imported_policy_is_InvalidUser_and_nothing_is_applied(string what, string json)
    {
        ImportFile file = ConfigurationImport.Read(System.Text.Encoding.UTF8.GetBytes(json), "p.json");
        var current = new CasbConfiguration();

        CasbException error = Assert.Throws<CasbException>(() => ConfigurationImport.Apply(current, file, ConfigurationImport.Plan(current, file, replace: false)));

        Assert.True(error.ErrorId == ConfigurationInput.InvalidUserErrorId, $"{what}: {error.ErrorId} {error.Message}");
    }
}
