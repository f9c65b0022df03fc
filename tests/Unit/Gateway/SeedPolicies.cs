using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Gateway;

/// <summary>The seed's story in a gateway test's configuration: every user through App Control, and "Require certificate".</summary>
internal static class SeedPolicies
{
    public const string BlockMessage = "Use a company device.";

    public static void AddRequireCertificate(CasbConfiguration c)
    {
        c.ConditionalAccessPolicies.Add(new ConditionalAccessPolicyEntry
        {
            Name = "Vendors via App Control",
            IncludeUsers = { "All" },
            SessionControl = SessionControlKind.AppControl,
            AppControlMode = AppControlMode.UseCustomPolicy,
        });
        c.AccessPolicies.Add(new AccessPolicyEntry
        {
            Name = "Require certificate",
            Action = AccessPolicyAction.Block,
            BlockMessage = BlockMessage,
            DeviceTags = { DeviceTags.ValidClientCertificate },
            DeviceTagOperator = FilterOperator.DoesNotEqual,
        });
    }
}
