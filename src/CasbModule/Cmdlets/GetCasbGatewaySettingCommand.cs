using System.Management.Automation;
using CasbCore.Model;
using CasbModule.Types;

namespace CasbModule.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the gateway-wide settings of a CASB store.</para>
/// <para type="description">Returns the default action for requests no access policy blocks, the certificate revocation mode, the trusted sign-in proxies and their identity header, the activity retention, the CRL cache and download timeout, and whether the block page says why a device was not recognized (BlockPageDetail).</para>
/// </summary>
/// <example>
/// <code>Get-CasbGatewaySetting</code>
/// <para>Shows the settings of the default store.</para>
/// </example>
/// <example>
/// <code>(Get-CasbGatewaySetting -StorePath ./lab-store).RevocationMode</code>
/// <para>Reads the revocation mode of the store in ./lab-store.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "CasbGatewaySetting")]
[OutputType(typeof(CasbGatewaySetting))]
public sealed class GetCasbGatewaySettingCommand : CasbStoreCmdlet
{
    protected override void EndProcessing()
    {
        CasbConfiguration configuration = LoadConfiguration();
        WriteObject(new CasbGatewaySetting(configuration.Settings, Store.Location, configuration.Revision));
    }
}
