BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'New-CasbSessionPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
    }

    It 'creates a download policy with canonical filters and returns it' {
        $policy = New-CasbSessionPolicy -StorePath $store -Name 'No downloads to unmanaged' -ControlType ControlFileDownload -Action Block `
            -App 'microsoft online services' -DeviceTag ValidClientCertificate -DeviceTagOperator DoesNotEqual -FileExtension '.DOCX', 'pdf' `
            -MinFileSizeMB 5 -BlockMessage 'Download from a company device.' -Severity High

        $policy | Should -BeOfType 'CasbModule.Types.CasbSessionPolicy'
        $policy.Apps | Should -Be 'Microsoft Online Services'
        $policy.DeviceTags | Should -Be 'Valid client certificate'
        $policy.FileExtensions | Should -Be @('docx', 'pdf')
        $policy.MinFileSizeMB | Should -Be 5
        $policy.ClientApp | Should -Be 'Browser'
        $policy.Enabled | Should -BeTrue
        (Get-CasbSessionPolicy -StorePath $store).Name | Should -Be 'No downloads to unmanaged'
    }

    It 'audits by default' {
        (New-CasbSessionPolicy -StorePath $store -Name 'Watch' -ControlType MonitorOnly).Action | Should -Be 'Audit'
    }

    It 'refuses <Case> with <ErrorId> and writes nothing' -ForEach @(
        @{ Case = 'a taken name'; ErrorId = 'PolicyExists'; Arguments = @{ Name = 'WATCH'; ControlType = 'MonitorOnly' } }
        @{ Case = 'an unknown app'; ErrorId = 'UnknownApp'; Arguments = @{ Name = 'P'; ControlType = 'ControlFileUpload'; App = 'Payroll' } }
        @{ Case = 'an extension that can never match'; ErrorId = 'InvalidFileExtension'; Arguments = @{ Name = 'P'; ControlType = 'ControlFileUpload'; FileExtension = 'tar.gz' } }
        @{ Case = 'MonitorOnly with Block'; ErrorId = 'MonitorOnlyCannotBlock'; Arguments = @{ Name = 'P'; ControlType = 'MonitorOnly'; Action = 'Block' } }
        @{ Case = 'a bad IP range'; ErrorId = 'InvalidIPRange'; Arguments = @{ Name = 'P'; ControlType = 'MonitorOnly'; IPRange = '10.0.0.0/33' } }
    ) {
        New-CasbSessionPolicy -StorePath $store -Name 'Watch' -ControlType MonitorOnly | Out-Null
        $before = [IO.File]::ReadAllBytes((Join-Path $store 'casb.json'))

        { New-CasbSessionPolicy -StorePath $store @Arguments -ErrorAction Stop } |
            Should -Throw -ErrorId "$ErrorId,CasbModule.Cmdlets.NewCasbSessionPolicyCommand"
        [IO.File]::ReadAllBytes((Join-Path $store 'casb.json')) | Should -Be $before
    }

    It 'writes nothing with -WhatIf' {
        New-CasbSessionPolicy -StorePath $store -Name 'Watch' -ControlType MonitorOnly -WhatIf

        Get-CasbSessionPolicy -StorePath $store | Should -BeNullOrEmpty
    }
}
