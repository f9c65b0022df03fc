BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Add-CasbGroupMember' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        New-CasbGroup -StorePath $store -Name 'External vendors' -Member 'a@fabrikam.com' | Out-Null
    }

    It 'adds members and is idempotent whatever the case' {
        Add-CasbGroupMember -StorePath $store -Group 'External vendors' -Member 'b@fabrikam.com'
        $group = Add-CasbGroupMember -StorePath $store -Group 'external vendors' -Member 'A@FABRIKAM.COM', 'B@fabrikam.com' -PassThru

        $group.Members | Should -BeExactly @('a@fabrikam.com', 'b@fabrikam.com')
    }

    It 'does not change the store revision when nothing changes' {
        $before = Get-Content (Join-Path $store 'casb.json') -Raw

        Add-CasbGroupMember -StorePath $store -Group 'External vendors' -Member 'a@fabrikam.com'

        Get-Content (Join-Path $store 'casb.json') -Raw | Should -Be $before
    }

    It 'takes the group from the pipeline' {
        Get-CasbGroup -StorePath $store | Add-CasbGroupMember -Member 'c@fabrikam.com'

        (Get-CasbGroup -StorePath $store).Members | Should -Contain 'c@fabrikam.com'
    }

    It 'reports a group that is not in the store' {
        { Add-CasbGroupMember -StorePath $store -Group 'Nope' -Member 'x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'GroupNotFound,CasbModule.Cmdlets.AddCasbGroupMemberCommand'
    }

    It 'writes nothing with -WhatIf' {
        Add-CasbGroupMember -StorePath $store -Group 'External vendors' -Member 'z@fabrikam.com' -WhatIf

        (Get-CasbGroup -StorePath $store).Members | Should -Be 'a@fabrikam.com'
    }
}
