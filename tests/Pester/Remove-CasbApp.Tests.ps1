BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Remove-CasbApp' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8081'
    }

    It 'removes an app by name' {
        Remove-CasbApp -StorePath $store -Name 'Azure Portal'

        (Get-CasbApp -StorePath $store).Name | Should -Be 'Microsoft Online Services'
    }

    It 'removes apps piped from Get-CasbApp without repeating -StorePath' {
        Get-CasbApp -StorePath $store -Name '*' | Remove-CasbApp

        Get-CasbApp -StorePath $store | Should -BeNullOrEmpty
    }

    It 'refuses an app a policy uses, naming the policy' {
        New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -App 'Azure Portal' -Action Block | Out-Null

        { Remove-CasbApp -StorePath $store -Name 'Azure Portal' -ErrorAction Stop } |
            Should -Throw -ErrorId 'AppInUse,CasbModule.Cmdlets.RemoveCasbAppCommand' -ExpectedMessage "*'Require certificate'*"
        (Get-CasbApp -StorePath $store).Name | Should -Contain 'Azure Portal'
    }

    It 'with -Force removes the app from policies and turns off a policy left with no app' {
        New-CasbAccessPolicy -StorePath $store -Name 'Only Azure' -App 'Azure Portal' -Action Block | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Both' -App 'Azure Portal', 'Microsoft Online Services' -Action Block | Out-Null
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'CA Azure' -IncludeUser All -App 'Azure Portal' -SessionControl AppControl | Out-Null

        Remove-CasbApp -StorePath $store -Name 'Azure Portal' -Force -WarningVariable warnings -WarningAction SilentlyContinue

        Get-CasbApp -StorePath $store -Name 'Azure Portal' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $only = Get-CasbAccessPolicy -StorePath $store 'Only Azure'
        $only.Enabled | Should -BeFalse
        $only.Apps | Should -HaveCount 0
        (Get-CasbAccessPolicy -StorePath $store 'Both').Apps | Should -Be 'Microsoft Online Services'
        (Get-CasbAccessPolicy -StorePath $store 'Both').Enabled | Should -BeTrue
        (Get-CasbConditionalAccessPolicy -StorePath $store 'CA Azure').State | Should -Be 'Off'
        $warnings.Count | Should -Be 2
    }

    It 'reports a literal name that is not in the store' {
        { Remove-CasbApp -StorePath $store -Name 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'AppNotFound,CasbModule.Cmdlets.RemoveCasbAppCommand'
    }

    It 'writes nothing with -WhatIf' {
        Remove-CasbApp -StorePath $store -Name '*' -WhatIf

        (Get-CasbApp -StorePath $store).Count | Should -Be 2
    }
}
