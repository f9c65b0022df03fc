BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Remove-CasbGroup' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        New-CasbGroup -StorePath $store -Name 'Vendors' | Out-Null
        New-CasbGroup -StorePath $store -Name 'Staff' | Out-Null
    }

    It 'removes a group by name' {
        Remove-CasbGroup -StorePath $store -Name 'Vendors'

        (Get-CasbGroup -StorePath $store).Name | Should -Be 'Staff'
    }

    It 'removes groups piped from Get-CasbGroup' {
        Get-CasbGroup -StorePath $store | Remove-CasbGroup

        Get-CasbGroup -StorePath $store | Should -BeNullOrEmpty
    }

    It 'refuses a group a policy excludes, and goes on with the next piped group' {
        New-CasbAccessPolicy -StorePath $store -Name 'P' -ExcludeGroup 'Vendors' -Action Block | Out-Null

        Remove-CasbGroup -StorePath $store -Name 'Vendors', 'Staff' -ErrorVariable problems -ErrorAction SilentlyContinue

        $problems[0].FullyQualifiedErrorId | Should -Be 'GroupInUse,CasbModule.Cmdlets.RemoveCasbGroupCommand'
        (Get-CasbGroup -StorePath $store).Name | Should -Be 'Vendors'
    }

    It 'refuses a group a conditional-access policy includes' {
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'CA' -IncludeGroup 'Staff' -SessionControl AppControl | Out-Null

        { Remove-CasbGroup -StorePath $store -Name 'Staff' -ErrorAction Stop } | Should -Throw -ErrorId 'GroupInUse,CasbModule.Cmdlets.RemoveCasbGroupCommand'
    }

    It 'reports a group that is not in the store' {
        { Remove-CasbGroup -StorePath $store -Name 'Nope' -ErrorAction Stop } | Should -Throw -ErrorId 'GroupNotFound,CasbModule.Cmdlets.RemoveCasbGroupCommand'
    }

    It 'writes nothing with -WhatIf' {
        Remove-CasbGroup -StorePath $store -Name '*' -WhatIf

        (Get-CasbGroup -StorePath $store).Count | Should -Be 2
    }
}
