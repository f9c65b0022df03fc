BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Set-CasbGatewaySetting' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
    }

    It 'changes only the settings it is given and returns them with -PassThru' {
        $result = Set-CasbGatewaySetting -StorePath $store -DefaultAction Block -PassThru

        $result.DefaultAction | Should -Be 'Block'
        $result.RevocationMode | Should -Be 'Optional'
        (Get-CasbGatewaySetting -StorePath $store).DefaultAction | Should -Be 'Block'
    }

    It 'writes nothing with -WhatIf' {
        Set-CasbGatewaySetting -StorePath $store -DefaultAction Block -WhatIf

        (Get-CasbGatewaySetting -StorePath $store).DefaultAction | Should -Be 'Allow'
        Test-Path (Join-Path $store 'casb.json') | Should -BeFalse
    }

    It 'sets the CRL download timeout and refuses one out of range' {
        (Set-CasbGatewaySetting -StorePath $store -CrlFetchTimeoutSeconds 12 -PassThru).CrlFetchTimeoutSeconds | Should -Be 12
        { Set-CasbGatewaySetting -StorePath $store -CrlFetchTimeoutSeconds 0 } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CasbModule.Cmdlets.SetCasbGatewaySettingCommand'
    }

    It 'shows the reason on the block page by default and turns it off with -BlockPageDetail None' {
        (Get-CasbGatewaySetting -StorePath $store).BlockPageDetail | Should -Be 'Reason'

        (Set-CasbGatewaySetting -StorePath $store -BlockPageDetail None -PassThru).BlockPageDetail | Should -Be 'None'
        (Get-CasbGatewaySetting -StorePath $store).BlockPageDetail | Should -Be 'None'
        (Get-Content (Join-Path $store 'casb.json') -Raw | ConvertFrom-Json).settings.blockPageDetail | Should -Be 'None'
    }

    It 'refuses a block page detail that is not None or Reason' {
        { Set-CasbGatewaySetting -StorePath $store -BlockPageDetail Everything } |
            Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,CasbModule.Cmdlets.SetCasbGatewaySettingCommand'
        { Set-CasbGatewaySetting -StorePath $store -BlockPageDetail 7 } |
            Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,CasbModule.Cmdlets.SetCasbGatewaySettingCommand'
    }

    It 'moves the block page detail with Export-CasbConfiguration and Import-CasbConfiguration' {
        $file = Join-Path $TestDrive "$([guid]::NewGuid()).json"
        $target = Join-Path $TestDrive ([guid]::NewGuid())
        Set-CasbGatewaySetting -StorePath $store -BlockPageDetail None
        Export-CasbConfiguration -StorePath $store -Path $file

        Import-CasbConfiguration -StorePath $target -Path $file

        (Get-CasbGatewaySetting -StorePath $target).BlockPageDetail | Should -Be 'None'
    }

    It 'refuses to import a block page detail that means nothing (InvalidBlockPageDetail) and writes nothing' {
        $file = Join-Path $TestDrive "$([guid]::NewGuid()).json"
        Set-Content -Path $file -Value '{ "schemaVersion": 1, "settings": { "blockPageDetail": 7 } }'
        Set-CasbGatewaySetting -StorePath $store -DefaultAction Block
        $before = [IO.File]::ReadAllBytes((Join-Path $store 'casb.json'))

        { Import-CasbConfiguration -StorePath $store -Path $file } |
            Should -Throw -ErrorId 'InvalidBlockPageDetail,CasbModule.Cmdlets.ImportCasbConfigurationCommand'
        [IO.File]::ReadAllBytes((Join-Path $store 'casb.json')) | Should -Be $before
    }

    It 'keeps activity as Summary by default, left out of the file, and switches to Full and back' {
        $fresh = Join-Path $TestDrive ([guid]::NewGuid())
        Set-CasbGatewaySetting -StorePath $fresh -DefaultAction Block
        (Get-CasbGatewaySetting -StorePath $fresh).ActivityVolume | Should -Be 'Summary'
        (Get-Content (Join-Path $fresh 'casb.json') -Raw | ConvertFrom-Json).settings.PSObject.Properties.Name | Should -Not -Contain 'activityVolume'

        (Set-CasbGatewaySetting -StorePath $fresh -ActivityVolume Full -PassThru).ActivityVolume | Should -Be 'Full'
        (Get-Content (Join-Path $fresh 'casb.json') -Raw | ConvertFrom-Json).settings.activityVolume | Should -Be 'Full'
        (Set-CasbGatewaySetting -StorePath $fresh -ActivityVolume Summary -PassThru).ActivityVolume | Should -Be 'Summary'
    }

    It 'refuses an activity volume that means nothing, from the command line and from a file (InvalidActivityVolume), and writes nothing' {
        { Set-CasbGatewaySetting -StorePath $store -ActivityVolume Everything } |
            Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,CasbModule.Cmdlets.SetCasbGatewaySettingCommand'
        $file = Join-Path $TestDrive "$([guid]::NewGuid()).json"
        Set-Content -Path $file -Value '{ "schemaVersion": 1, "settings": { "activityVolume": 9 } }'
        Set-CasbGatewaySetting -StorePath $store -DefaultAction Block
        $before = [IO.File]::ReadAllBytes((Join-Path $store 'casb.json'))

        { Import-CasbConfiguration -StorePath $store -Path $file } |
            Should -Throw -ErrorId 'InvalidActivityVolume,CasbModule.Cmdlets.ImportCasbConfigurationCommand'
        [IO.File]::ReadAllBytes((Join-Path $store 'casb.json')) | Should -Be $before
    }

    It 'allows weak certificate cryptography only when told, with a warning, and keeps it through export and import' {
        (Get-CasbGatewaySetting -StorePath $store).AllowWeakCertificateCryptography | Should -BeFalse

        $warnings = @()
        $result = Set-CasbGatewaySetting -StorePath $store -AllowWeakCertificateCryptography $true -PassThru -WarningVariable warnings -WarningAction SilentlyContinue
        $exported = Join-Path $TestDrive "$([guid]::NewGuid()).json"
        Export-CasbConfiguration -StorePath $store -Path $exported
        $other = Join-Path $TestDrive ([guid]::NewGuid())
        Import-CasbConfiguration -StorePath $other -Path $exported

        $result.AllowWeakCertificateCryptography | Should -BeTrue
        $warnings[0] | Should -Match 'SHA-1'
        ($result | Format-List | Out-String) | Should -Match 'AllowWeakCertificateCryptography\s+: True'
        (Get-CasbGatewaySetting -StorePath $other).AllowWeakCertificateCryptography | Should -BeTrue
        (Set-CasbGatewaySetting -StorePath $store -AllowWeakCertificateCryptography $false -PassThru).AllowWeakCertificateCryptography | Should -BeFalse
    }

    It 'refuses a trusted proxy that is not an address or range' {
        { Set-CasbGatewaySetting -StorePath $store -TrustedProxy 'proxy.contoso.com' } |
            Should -Throw -ErrorId 'InvalidTrustedProxy,CasbModule.Cmdlets.SetCasbGatewaySettingCommand'
    }

    It 'accepts IPv4 and IPv6 addresses and ranges' {
        $result = Set-CasbGatewaySetting -StorePath $store -TrustedProxy '10.0.0.5', '10.1.0.0/16', '2001:db8::/32' -PassThru

        $result.TrustedProxies | Should -Be @('10.0.0.5', '10.1.0.0/16', '2001:db8::/32')
    }

    It 'reports a corrupt store with a stable error id and leaves the file alone' {
        New-Item -ItemType Directory -Path $store | Out-Null
        Set-Content -Path (Join-Path $store 'casb.json') -Value '{ broken'

        { Get-CasbGatewaySetting -StorePath $store } | Should -Throw -ErrorId 'StoreCorrupt,CasbModule.Cmdlets.GetCasbGatewaySettingCommand'
        Get-Content (Join-Path $store 'casb.json') -Raw | Should -Match '\{ broken'
    }

    It 'refuses <Shown> as the identity header with a stable error id, also with -WhatIf, and writes nothing' -ForEach @(
        'User-Agent', 'Host', 'cookie', 'Authorization', 'Accept-Language', 'Content-Type', 'Connection', 'Transfer-Encoding',
        'X-Forwarded-For', 'X-Forwarded-User', 'Forwarded', 'traceparent', 'Client-Cert', ':authority', 'X User', "X-User`e[2J"
    ).ForEach({ @{ Header = $_; Shown = $_.Replace("`e", '\x1b') } }) {
        { Set-CasbGatewaySetting -StorePath $store -IdentityHeader $Header } |
            Should -Throw -ErrorId 'InvalidIdentityHeader,CasbModule.Cmdlets.SetCasbGatewaySettingCommand'
        { Set-CasbGatewaySetting -StorePath $store -IdentityHeader $Header -WhatIf } |
            Should -Throw -ErrorId 'InvalidIdentityHeader,CasbModule.Cmdlets.SetCasbGatewaySettingCommand'
        Test-Path (Join-Path $store 'casb.json') | Should -BeFalse
    }

    It 'says why an identity header is refused, with the header shown escaped' {
        $err = $null
        try { Set-CasbGatewaySetting -StorePath $store -IdentityHeader "X-User`e[2J" } catch { $err = $_ }

        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.ErrorDetails.Message | Should -BeLike "*'X-User\x1b[[]2J'*"
        $err.ErrorDetails.Message.Contains([char] 27) | Should -BeFalse
    }

    It 'accepts a header of your own and clears it with $null or an empty string' {
        (Set-CasbGatewaySetting -StorePath $store -IdentityHeader 'X-Signed-In-User' -PassThru).IdentityHeader | Should -Be 'X-Signed-In-User'

        (Set-CasbGatewaySetting -StorePath $store -IdentityHeader $null -PassThru).IdentityHeader | Should -BeExactly ''
        (Get-CasbGatewaySetting -StorePath $store).IdentityHeader | Should -BeExactly ''

        Set-CasbGatewaySetting -StorePath $store -IdentityHeader 'X-Signed-In-User'
        Set-CasbGatewaySetting -StorePath $store -IdentityHeader ''
        (Get-CasbGatewaySetting -StorePath $store).IdentityHeader | Should -BeExactly ''
    }

    It 'leaves the identity header alone when -IdentityHeader is not given' {
        Set-CasbGatewaySetting -StorePath $store -IdentityHeader 'X-Signed-In-User'
        Set-CasbGatewaySetting -StorePath $store -DefaultAction Block

        (Get-CasbGatewaySetting -StorePath $store).IdentityHeader | Should -Be 'X-Signed-In-User'
    }
}
