@{
    RootModule           = 'CasbModule.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f1d3c52-8f0e-4b7a-9a55-2f4a7c1e9b31'
    Author               = 'CasbModule contributors'
    CompanyName          = 'CasbModule'
    Copyright            = '(c) CasbModule contributors. MIT License.'
    Description          = 'A self-hosted Conditional Access App Control gateway: trusted roots and client-certificate device identification, conditional-access and access policies, and an enforcing YARP reverse proxy with an activity log.'
    # The assemblies target net10.0, which PowerShell 7.6 is the first to run on (a test keeps the two in step).
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('CasbModule.format.ps1xml')
    CmdletsToExport      = @(
        # Device identification
        'Add-CasbTrustedRoot', 'Get-CasbTrustedRoot', 'Remove-CasbTrustedRoot',
        'Add-CasbCertificateRevocationList', 'Get-CasbCertificateRevocationList', 'Remove-CasbCertificateRevocationList',
        'Test-CasbClientCertificate', 'Import-CasbClientCertificate', 'New-CasbSampleCertificate',
        # Apps, identities and policies
        'Add-CasbApp', 'Get-CasbApp', 'Set-CasbApp', 'Remove-CasbApp',
        'New-CasbGroup', 'Get-CasbGroup', 'Remove-CasbGroup', 'Add-CasbGroupMember', 'Remove-CasbGroupMember',
        'New-CasbConditionalAccessPolicy', 'Get-CasbConditionalAccessPolicy', 'Set-CasbConditionalAccessPolicy', 'Remove-CasbConditionalAccessPolicy',
        'New-CasbAccessPolicy', 'Get-CasbAccessPolicy', 'Set-CasbAccessPolicy', 'Remove-CasbAccessPolicy', 'Enable-CasbAccessPolicy', 'Disable-CasbAccessPolicy',
        'New-CasbSessionPolicy', 'Get-CasbSessionPolicy', 'Set-CasbSessionPolicy', 'Remove-CasbSessionPolicy', 'Enable-CasbSessionPolicy', 'Disable-CasbSessionPolicy',
        'Test-CasbAccess', 'Export-CasbConfiguration', 'Import-CasbConfiguration', 'Copy-CasbStore',
        'Get-CasbGatewaySetting', 'Set-CasbGatewaySetting',
        # Sign-in
        'Set-CasbIdentityProvider', 'Get-CasbIdentityProvider', 'Remove-CasbIdentityProvider', 'Revoke-CasbSession',
        # Gateway and activity
        'Start-CasbGateway', 'Get-CasbGateway', 'Stop-CasbGateway', 'Get-CasbActivity'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('CASB', 'ConditionalAccess', 'ZeroTrust', 'ClientCertificate', 'ReverseProxy', 'YARP', 'Linux', 'Windows', 'PSEdition_Core')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'First release: device identification, policies, and the enforcement gateway.'
        }
    }
}
