BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Remove-CasbConditionalAccessPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -IncludeUser All -SessionControl AppControl | Out-Null
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'Block legacy' -IncludeUser All -Grant Block -State Off | Out-Null
    }

    It 'removes a policy by name' {
        Remove-CasbConditionalAccessPolicy -StorePath $store -Name 'Block legacy'

        (Get-CasbConditionalAccessPolicy -StorePath $store).Name | Should -Be 'Vendors via App Control'
    }

    It 'removes policies piped from Get-' {
        Get-CasbConditionalAccessPolicy -StorePath $store -State Off | Remove-CasbConditionalAccessPolicy

        (Get-CasbConditionalAccessPolicy -StorePath $store).Name | Should -Be 'Vendors via App Control'
    }

    It 'reports a policy that is not in the store' {
        { Remove-CasbConditionalAccessPolicy -StorePath $store -Name 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.RemoveCasbConditionalAccessPolicyCommand'
    }

    It 'writes nothing with -WhatIf' {
        Remove-CasbConditionalAccessPolicy -StorePath $store -Name '*' -WhatIf

        (Get-CasbConditionalAccessPolicy -StorePath $store).Count | Should -Be 2
    }
}
