BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'New-CasbGroup' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
    }

    It 'creates a group with a description and de-duplicated members' {
        $group = New-CasbGroup -StorePath $store -Name 'External vendors' -Description 'Fabrikam staff' -Member 'a@fabrikam.com', 'A@Fabrikam.com', 'b@fabrikam.com'

        $group.Name | Should -Be 'External vendors'
        $group.Description | Should -Be 'Fabrikam staff'
        $group.Members | Should -BeExactly @('a@fabrikam.com', 'b@fabrikam.com')
        (Get-CasbGroup -StorePath $store).Name | Should -Be 'External vendors'
    }

    It 'refuses a name already used' {
        New-CasbGroup -StorePath $store -Name 'Vendors' | Out-Null

        { New-CasbGroup -StorePath $store -Name 'VENDORS' } | Should -Throw -ErrorId 'GroupExists,CasbModule.Cmdlets.NewCasbGroupCommand'
    }

    It 'writes nothing with -WhatIf' {
        New-CasbGroup -StorePath $store -Name 'Vendors' -WhatIf

        Get-CasbGroup -StorePath $store | Should -BeNullOrEmpty
    }
}
