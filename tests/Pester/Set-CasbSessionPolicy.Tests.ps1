BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Set-CasbSessionPolicy' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8080'
        New-CasbSessionPolicy -StorePath $store -Name 'Large uploads' -ControlType ControlFileUpload -FileExtension docx -MinFileSizeMB 50 | Out-Null
    }

    It 'changes only the given fields of piped policies and returns them with -PassThru' {
        $changed = Get-CasbSessionPolicy -StorePath $store | Set-CasbSessionPolicy -Action Block -BlockMessage 'No large uploads.' -App 'Azure Portal' -PassThru

        $changed.Action | Should -Be 'Block'
        $changed.BlockMessage | Should -Be 'No large uploads.'
        $changed.Apps | Should -Be 'Azure Portal'
        $changed.FileExtensions | Should -Be 'docx'
        $changed.MinFileSizeMB | Should -Be 50
    }

    It 'removes the size filter with -MinFileSizeMB -1 and the extension filter with an empty array' {
        $changed = Set-CasbSessionPolicy -StorePath $store -Name 'Large uploads' -MinFileSizeMB -1 -FileExtension @() -PassThru

        $changed.MinFileSizeMB | Should -BeNullOrEmpty
        $changed.FileExtensions | Should -HaveCount 0
    }

    It 'refuses to make a MonitorOnly policy block' {
        { Set-CasbSessionPolicy -StorePath $store -Name 'Large uploads' -ControlType MonitorOnly -Action Block -ErrorAction Stop } |
            Should -Throw -ErrorId 'MonitorOnlyCannotBlock,CasbModule.Cmdlets.SetCasbSessionPolicyCommand'
        (Get-CasbSessionPolicy -StorePath $store).ControlType | Should -Be 'ControlFileUpload'
    }

    It 'reports a literal name that is not in the store' {
        { Set-CasbSessionPolicy -StorePath $store -Name 'Nope' -Severity High -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.SetCasbSessionPolicyCommand'
    }
}
