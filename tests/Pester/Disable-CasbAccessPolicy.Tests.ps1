BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Disable-CasbAccessPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -Action Block | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Vendor monitor' -Action Test | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Vendor block' -Action Block | Out-Null
    }

    It 'changes one policy by name and returns it with -PassThru' {
        $policy = Disable-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -PassThru

        $policy.Enabled | Should -Be $false
        (Get-CasbAccessPolicy -StorePath $store 'Vendor monitor').Enabled | Should -Be $true
    }

    It 'changes the policies piped from Get-CasbAccessPolicy -Name v*, in the store they came from' {
        Get-CasbAccessPolicy -StorePath $store -Name v* | Disable-CasbAccessPolicy

        (Get-CasbAccessPolicy -StorePath $store | Where-Object Enabled -EQ $false).Name | Should -Be @('Vendor monitor', 'Vendor block')
    }

    It 'sends each piped policy back to its own store when they come from several stores' {
        $other = Join-Path $TestDrive ([guid]::NewGuid())
        New-CasbAccessPolicy -StorePath $other -Name 'Vendor elsewhere' -Action Test | Out-Null

        @(Get-CasbAccessPolicy -StorePath $store -Name 'Vendor block') + @(Get-CasbAccessPolicy -StorePath $other) |
            ForEach-Object { $_ } | Disable-CasbAccessPolicy

        (Get-CasbAccessPolicy -StorePath $store -Name 'Vendor block').Enabled | Should -BeFalse
        (Get-CasbAccessPolicy -StorePath $other -Name 'Vendor elsewhere').Enabled | Should -BeFalse
        @(Get-CasbAccessPolicy -StorePath $other).Count | Should -Be 1 -Because 'nothing from the first store is written into the second'
    }

    It 'takes wildcards' {
        Disable-CasbAccessPolicy -StorePath $store -Name '*block*'

        (Get-CasbAccessPolicy -StorePath $store | Where-Object Enabled -EQ $false).Name | Should -Be 'Vendor block'
    }

    It 'leaves a policy already in that state unchanged' {
        Disable-CasbAccessPolicy -StorePath $store -Name 'Vendor block'
        $before = Get-Content (Join-Path $store 'casb.json') -Raw

        Disable-CasbAccessPolicy -StorePath $store -Name 'Vendor block'

        Get-Content (Join-Path $store 'casb.json') -Raw | Should -Be $before
    }

    It 'reports a policy that is not in the store' {
        { Disable-CasbAccessPolicy -StorePath $store -Name 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.DisableCasbAccessPolicyCommand'
    }

    It 'writes nothing with -WhatIf' {
        Get-CasbAccessPolicy -StorePath $store | Disable-CasbAccessPolicy -WhatIf

        (Get-CasbAccessPolicy -StorePath $store | Where-Object Enabled -EQ $true).Count | Should -Be 3
    }
}
