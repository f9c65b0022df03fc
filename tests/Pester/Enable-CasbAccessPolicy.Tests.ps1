BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Enable-CasbAccessPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -Action Block -Disabled | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Vendor monitor' -Action Test -Disabled | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Vendor block' -Action Block -Disabled | Out-Null
    }

    It 'changes one policy by name and returns it with -PassThru' {
        $policy = Enable-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -PassThru

        $policy.Enabled | Should -Be $true
        (Get-CasbAccessPolicy -StorePath $store 'Vendor monitor').Enabled | Should -Be $false
    }

    It 'changes the policies piped from Get-CasbAccessPolicy -Name v*, in the store they came from' {
        Get-CasbAccessPolicy -StorePath $store -Name v* | Enable-CasbAccessPolicy

        (Get-CasbAccessPolicy -StorePath $store | Where-Object Enabled -EQ $true).Name | Should -Be @('Vendor monitor', 'Vendor block')
    }

    It 'takes wildcards' {
        Enable-CasbAccessPolicy -StorePath $store -Name '*block*'

        (Get-CasbAccessPolicy -StorePath $store | Where-Object Enabled -EQ $true).Name | Should -Be 'Vendor block'
    }

    It 'leaves a policy already in that state unchanged' {
        Enable-CasbAccessPolicy -StorePath $store -Name 'Vendor block'
        $before = Get-Content (Join-Path $store 'casb.json') -Raw

        Enable-CasbAccessPolicy -StorePath $store -Name 'Vendor block'

        Get-Content (Join-Path $store 'casb.json') -Raw | Should -Be $before
    }

    It 'reports a policy that is not in the store' {
        { Enable-CasbAccessPolicy -StorePath $store -Name 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.EnableCasbAccessPolicyCommand'
    }

    It 'writes nothing with -WhatIf' {
        Get-CasbAccessPolicy -StorePath $store | Enable-CasbAccessPolicy -WhatIf

        (Get-CasbAccessPolicy -StorePath $store | Where-Object Enabled -EQ $false).Count | Should -Be 3
    }
}
