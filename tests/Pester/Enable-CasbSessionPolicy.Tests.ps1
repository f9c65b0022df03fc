BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Enable-CasbSessionPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        'vpn', 'vendors', 'other' | ForEach-Object { New-CasbSessionPolicy -StorePath $store -Name $_ -ControlType MonitorOnly -Disabled | Out-Null }
    }

    It 'changes the policies piped from Get-CasbSessionPolicy and only those' {
        $result = Get-CasbSessionPolicy -StorePath $store -Name v* | Enable-CasbSessionPolicy -PassThru

        $result.Enabled | Should -Be @($true, $true)
        (Get-CasbSessionPolicy -StorePath $store -Name other).Enabled | Should -Be (-not $true)
    }

    It 'reports a literal name that is not in the store' {
        { Enable-CasbSessionPolicy -StorePath $store -Name 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.EnableCasbSessionPolicyCommand'
    }
}
