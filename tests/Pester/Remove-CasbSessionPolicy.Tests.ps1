BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Remove-CasbSessionPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        New-CasbSessionPolicy -StorePath $store -Name 'Audit uploads' -ControlType ControlFileUpload | Out-Null
        New-CasbSessionPolicy -StorePath $store -Name 'Audit downloads' -ControlType ControlFileDownload | Out-Null
    }

    It 'removes policies by wildcard and piped, and writes nothing with -WhatIf' {
        Remove-CasbSessionPolicy -StorePath $store -Name 'Audit*' -WhatIf
        (Get-CasbSessionPolicy -StorePath $store).Count | Should -Be 2

        Get-CasbSessionPolicy -StorePath $store -Name 'Audit uploads' | Remove-CasbSessionPolicy
        (Get-CasbSessionPolicy -StorePath $store).Name | Should -Be 'Audit downloads'
    }

    It 'reports a literal name that is not in the store' {
        { Remove-CasbSessionPolicy -StorePath $store -Name 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.RemoveCasbSessionPolicyCommand'
    }
}
