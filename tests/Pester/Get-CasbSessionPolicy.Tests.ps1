BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Get-CasbSessionPolicy' {
    BeforeAll {
        $store = Join-Path $TestDrive 'store'
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8080'
        Add-CasbApp -StorePath $store -Name 'Wiki' -Upstream 'http://127.0.0.1:8081'
        New-CasbSessionPolicy -StorePath $store -Name 'Audit uploads' -ControlType ControlFileUpload | Out-Null
        New-CasbSessionPolicy -StorePath $store -Name 'Block wiki downloads' -ControlType ControlFileDownload -Action Block -App Wiki -Disabled | Out-Null
    }

    It 'gets all, by wildcard, by app, by control type and by state' {
        (Get-CasbSessionPolicy -StorePath $store).Name | Should -Be @('Audit uploads', 'Block wiki downloads')
        (Get-CasbSessionPolicy -StorePath $store -Name 'block*').Name | Should -Be 'Block wiki downloads'
        (Get-CasbSessionPolicy -StorePath $store -App 'Azure Portal').Name | Should -Be 'Audit uploads'
        (Get-CasbSessionPolicy -StorePath $store -ControlType ControlFileDownload).Name | Should -Be 'Block wiki downloads'
        (Get-CasbSessionPolicy -StorePath $store -Enabled).Name | Should -Be 'Audit uploads'
        (Get-CasbSessionPolicy -StorePath $store -Disabled).Name | Should -Be 'Block wiki downloads'
    }

    It 'reports a literal name that is not in the store' {
        { Get-CasbSessionPolicy -StorePath $store -Name 'Nope' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PolicyNotFound,CasbModule.Cmdlets.GetCasbSessionPolicyCommand'
    }

    It 'completes policy names from the store' {
        $line = "Get-CasbSessionPolicy -StorePath '$store' -Name Blo"
        $completions = TabExpansion2 -inputScript $line -cursorColumn $line.Length

        $completions.CompletionMatches.CompletionText | Should -Be "'Block wiki downloads'"
    }
}
