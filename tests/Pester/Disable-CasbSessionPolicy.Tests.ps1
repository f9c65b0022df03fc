BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Disable-CasbSessionPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        'vpn', 'vendors', 'other' | ForEach-Object { New-CasbSessionPolicy -StorePath $store -Name $_ -ControlType MonitorOnly  | Out-Null }
    }

    It 'changes the policies piped from Get-CasbSessionPolicy and only those' {
        $result = Get-CasbSessionPolicy -StorePath $store -Name v* | Disable-CasbSessionPolicy -PassThru

        $result.Enabled | Should -Be @($false, $false)
        (Get-CasbSessionPolicy -StorePath $store -Name other).Enabled | Should -Be (-not $false)
    }

    It 'reports a literal name that is not in the store' {
        { Disable-CasbSessionPolicy -StorePath $store -Name 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.DisableCasbSessionPolicyCommand'
    }
}
