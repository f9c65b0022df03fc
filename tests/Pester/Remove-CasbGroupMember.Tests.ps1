BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Remove-CasbGroupMember' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        New-CasbGroup -StorePath $store -Name 'Vendors' -Member 'a@fabrikam.com', 'b@fabrikam.com' | Out-Null
        New-CasbGroup -StorePath $store -Name 'Admins' -Member 'b@fabrikam.com' | Out-Null
    }

    It 'removes members case-insensitively and ignores non-members' {
        $group = Remove-CasbGroupMember -StorePath $store -Group 'Vendors' -Member 'A@FABRIKAM.COM', 'nobody@fabrikam.com' -PassThru

        $group.Members | Should -Be 'b@fabrikam.com'
    }

    It 'removes a user from every group piped from Get-CasbGroup -Member' {
        Get-CasbGroup -StorePath $store -Member 'b@fabrikam.com' | Remove-CasbGroupMember -Member 'b@fabrikam.com'

        Get-CasbGroup -StorePath $store -Member 'b@fabrikam.com' | Should -BeNullOrEmpty
        (Get-CasbGroup -StorePath $store 'Vendors').Members | Should -Be 'a@fabrikam.com'
    }

    It 'reports a group that is not in the store' {
        { Remove-CasbGroupMember -StorePath $store -Group 'Nope' -Member 'x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'GroupNotFound,CasbModule.Cmdlets.RemoveCasbGroupMemberCommand'
    }

    It 'writes nothing with -WhatIf' {
        Remove-CasbGroupMember -StorePath $store -Group 'Vendors' -Member 'a@fabrikam.com' -WhatIf

        (Get-CasbGroup -StorePath $store 'Vendors').Members | Should -HaveCount 2
    }
}
