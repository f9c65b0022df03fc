BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Remove-CasbAccessPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -Action Block | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Vendor monitor' -Action Test -Disabled | Out-Null
    }

    It 'removes a policy by name' {
        Remove-CasbAccessPolicy -StorePath $store -Name 'Require certificate'

        (Get-CasbAccessPolicy -StorePath $store).Name | Should -Be 'Vendor monitor'
    }

    It 'removes policies piped from Get-' {
        Get-CasbAccessPolicy -StorePath $store -Disabled | Remove-CasbAccessPolicy

        (Get-CasbAccessPolicy -StorePath $store).Name | Should -Be 'Require certificate'
    }

    It 'reports a policy that is not in the store' {
        { Remove-CasbAccessPolicy -StorePath $store -Name 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.RemoveCasbAccessPolicyCommand'
    }

    It 'writes nothing with -WhatIf' {
        Remove-CasbAccessPolicy -StorePath $store -Name '*' -WhatIf

        (Get-CasbAccessPolicy -StorePath $store).Count | Should -Be 2
    }
}
