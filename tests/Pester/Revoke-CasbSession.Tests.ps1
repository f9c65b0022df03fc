BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Revoke-CasbSession' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        $ended = Join-Path $store 'sessions/ended.json'
        $secret = ConvertTo-SecureString 'revoke-7c1d' -AsPlainText -Force
        Set-CasbIdentityProvider -StorePath $store -Authority 'https://idp.contoso.local/realms/staff' -ClientId 'gateway' -ClientSecret $secret -SkipValidation
    }

    It 'records a user key in the store''s list of ended sessions, and returns the user with -PassThru' {
        $before = [DateTimeOffset]::UtcNow
        $revoked = Revoke-CasbSession -StorePath $store -UserName ' Vendor1@Fabrikam.com ' -PassThru -Confirm:$false -WarningVariable warnings

        $warnings | Should -BeNullOrEmpty
        $revoked.UserName | Should -Be 'Vendor1@Fabrikam.com'
        $revoked.RevokedBefore | Should -BeGreaterOrEqual $before.AddMilliseconds(-1)
        $revoked.RevokedBefore | Should -BeLessOrEqual ([DateTimeOffset]::UtcNow)
        $keys = @((Get-Content $ended -Raw | ConvertFrom-Json -AsHashtable).ended.Keys)
        $keys | Should -Be @("user $($revoked.RevokedBefore.ToUnixTimeMilliseconds()) Vendor1@Fabrikam.com")
        $until = [DateTimeOffset](Get-Content $ended -Raw | ConvertFrom-Json -AsHashtable -DateKind String).ended[$keys[0]]
        $until | Should -Be $revoked.RevokedBefore.AddDays(30)
    }

    It 'writes nothing by default' {
        Revoke-CasbSession -StorePath $store -UserName 'vendor1@fabrikam.com' -Confirm:$false | Should -BeNullOrEmpty
        $ended | Should -Exist
    }

    It 'takes users from the pipeline, by value and by property name' {
        @('a@contoso.com', 'b@contoso.com') | Revoke-CasbSession -StorePath $store -Confirm:$false
        [pscustomobject]@{ UserName = 'c@contoso.com' } | Revoke-CasbSession -StorePath $store -Confirm:$false

        $users = (Get-Content $ended -Raw | ConvertFrom-Json -AsHashtable).ended.Keys | ForEach-Object { ($_ -split ' ', 3)[2] }
        @($users | Sort-Object) | Should -Be @('a@contoso.com', 'b@contoso.com', 'c@contoso.com')
    }

    It 'writes nothing with -WhatIf' {
        Revoke-CasbSession -StorePath $store -UserName 'vendor1@fabrikam.com' -WhatIf

        $ended | Should -Not -Exist
    }

    It 'refuses an empty or blank user name at binding, and writes nothing' -ForEach @(
        @{ Value = '' }, @{ Value = '   ' }, @{ Value = "`t" }
    ) {
        { Revoke-CasbSession -StorePath $store -UserName $Value -Confirm:$false } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CasbModule.Cmdlets.RevokeCasbSessionCommand'
        { Revoke-CasbSession -StorePath $store -UserName 'ok@contoso.com', $Value -Confirm:$false } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CasbModule.Cmdlets.RevokeCasbSessionCommand'
        $ended | Should -Not -Exist
    }

    It 'reports a blank name from the pipeline and goes on with the next' {
        @('  ', 'ok@contoso.com') | Revoke-CasbSession -StorePath $store -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue

        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationError,CasbModule.Cmdlets.RevokeCasbSessionCommand'
        $failed[0].CategoryInfo.Category | Should -Be 'InvalidData'
        @((Get-Content $ended -Raw | ConvertFrom-Json -AsHashtable).ended.Keys) | Should -HaveCount 1
    }

    It 'warns when the store has no identity provider, and records the revocation anyway' {
        $empty = Join-Path $TestDrive ([guid]::NewGuid())

        Revoke-CasbSession -StorePath $empty -UserName 'a@contoso.com', 'b@contoso.com' -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue

        $warnings | Should -HaveCount 1
        "$($warnings[0])" | Should -Match 'has no identity provider'
        @((Get-Content (Join-Path $empty 'sessions/ended.json') -Raw | ConvertFrom-Json -AsHashtable).ended.Keys) | Should -HaveCount 2
    }

    It 'stops with EndedSessionsInvalid when the list does not parse, and leaves it as it was' {
        New-Item -ItemType Directory -Force (Split-Path $ended) | Out-Null
        Set-Content -Path $ended -Value '{"ended":' -NoNewline

        $record = $null
        try { Revoke-CasbSession -StorePath $store -UserName 'a@contoso.com' -Confirm:$false } catch { $record = $_ }

        $record.FullyQualifiedErrorId | Should -Be 'EndedSessionsInvalid,CasbModule.Cmdlets.RevokeCasbSessionCommand'
        $record.CategoryInfo.Category | Should -Be 'InvalidData'
        Get-Content $ended -Raw | Should -Be '{"ended":'
    }

    It 'asks before it ends sessions (ConfirmImpact High)' {
        (Get-Command Revoke-CasbSession).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact |
            Should -Be 'High'
    }

    It 'has help with an example' {
        $help = Get-Help Revoke-CasbSession -Full
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        ($help.Examples.Example[0].Code) | Should -Match 'Revoke-CasbSession -UserName'
        ($help.Description.Text -join ' ') | Should -Match 'PassThru'
    }
}
