BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Get-CasbGroup' {
    BeforeAll {
        $store = Join-Path $TestDrive 'store'
        New-CasbGroup -StorePath $store -Name 'Vendors' -Member 'a@fabrikam.com', 'b@fabrikam.com' | Out-Null
        New-CasbGroup -StorePath $store -Name 'Vendor admins' -Member 'b@fabrikam.com' | Out-Null
        New-CasbGroup -StorePath $store -Name 'Staff' -Member 'c@contoso.com' | Out-Null
    }

    It 'returns all groups, or those matching a wildcard' {
        (Get-CasbGroup -StorePath $store).Name | Should -Be @('Vendors', 'Vendor admins', 'Staff')
        (Get-CasbGroup -StorePath $store -Name 'vendor*').Name | Should -Be @('Vendors', 'Vendor admins')
    }

    It 'filters on a member, case-insensitively' {
        (Get-CasbGroup -StorePath $store -Member 'B@FABRIKAM.COM').Name | Should -Be @('Vendors', 'Vendor admins')
    }

    It 'reports a literal name that is not in the store' {
        { Get-CasbGroup -StorePath $store -Name 'Nope' -ErrorAction Stop } | Should -Throw -ErrorId 'GroupNotFound,CasbModule.Cmdlets.GetCasbGroupCommand'
    }

    It 'completes group names, quoting names with spaces' {
        $line = "Get-CasbGroup -StorePath '$store' -Name Vendor"

        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText |
            Should -Be @("'Vendor admins'", 'Vendors')
    }
}
