BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Set-CasbApp' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8080' -Hostname 'azure.contoso.local'
    }

    It 'changes only the fields given' {
        $app = Set-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'https://10.0.0.20' -PassThru

        $app.Upstream.AbsoluteUri | Should -Be 'https://10.0.0.20/'
        $app.Hostnames | Should -Be 'azure.contoso.local'
        $app.PathPrefix | Should -Be '/'
    }

    It 'takes the app from the pipeline, in the store it came from' {
        Get-CasbApp -StorePath $store 'Azure Portal' | Set-CasbApp -Hostname 'a.contoso.local', 'b.contoso.local' -PathPrefix '/portal' -ForwardClientCertificate

        $app = Get-CasbApp -StorePath $store 'Azure Portal'
        $app.Hostnames | Should -Be @('a.contoso.local', 'b.contoso.local')
        $app.PathPrefix | Should -Be '/portal'
        $app.ForwardClientCertificate | Should -BeTrue
    }

    It 'turns client-certificate forwarding off with -ForwardClientCertificate:$false' {
        Set-CasbApp -StorePath $store 'Azure Portal' -ForwardClientCertificate
        Set-CasbApp -StorePath $store 'Azure Portal' -ForwardClientCertificate:$false

        (Get-CasbApp -StorePath $store 'Azure Portal').ForwardClientCertificate | Should -BeFalse
    }

    It 'renames the app and the policies that refer to it' {
        New-CasbAccessPolicy -StorePath $store -Name 'P' -App 'Azure Portal' -Action Block | Out-Null
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'CA' -IncludeUser All -App 'Azure Portal' -SessionControl AppControl | Out-Null

        Set-CasbApp -StorePath $store 'Azure Portal' -NewName 'Azure Management Portal'

        (Get-CasbApp -StorePath $store).Name | Should -Be 'Azure Management Portal'
        (Get-CasbAccessPolicy -StorePath $store 'P').Apps | Should -Be 'Azure Management Portal'
        (Get-CasbConditionalAccessPolicy -StorePath $store 'CA').Apps | Should -Be 'Azure Management Portal'
    }

    It 'refuses a new name that another app has' {
        Add-CasbApp -StorePath $store -Name 'Mail' -Upstream 'http://127.0.0.1:8081'

        { Set-CasbApp -StorePath $store 'Azure Portal' -NewName 'mail' -ErrorAction Stop } |
            Should -Throw -ErrorId 'AppExists,CasbModule.Cmdlets.SetCasbAppCommand'
    }

    It 'reports an app that is not in the store' {
        { Set-CasbApp -StorePath $store 'Nope' -PathPrefix '/x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'AppNotFound,CasbModule.Cmdlets.SetCasbAppCommand'
    }

    It 'refuses a bad upstream before changing anything' {
        { Set-CasbApp -StorePath $store 'Azure Portal' -Upstream 'ftp://127.0.0.1' } |
            Should -Throw -ErrorId 'InvalidUpstream,CasbModule.Cmdlets.SetCasbAppCommand'
        (Get-CasbApp -StorePath $store).Upstream.Port | Should -Be 8080
    }

    It 'refuses an escaped path prefix with EscapedPathPrefix and keeps the stored one' {
        Set-CasbApp -StorePath $store 'Azure Portal' -PathPrefix '/portal'

        { Set-CasbApp -StorePath $store 'Azure Portal' -PathPrefix '/portal%2Fadmin' } |
            Should -Throw -ErrorId 'EscapedPathPrefix,CasbModule.Cmdlets.SetCasbAppCommand'
        (Get-CasbApp -StorePath $store 'Azure Portal').PathPrefix | Should -Be '/portal'
    }

    It 'names the fix when a store written before the rule holds an escaped prefix, and the fix works' {
        $file = Join-Path $store 'casb.json'
        $json = Get-Content $file -Raw | ConvertFrom-Json
        $json.apps[0].pathPrefix = '/admin%2Fsecret'
        $json | ConvertTo-Json -Depth 20 | Set-Content $file

        { Set-CasbApp -StorePath $store 'Azure Portal' -Upstream 'http://127.0.0.1:9090' } |
            Should -Throw -ErrorId 'EscapedPathPrefix,CasbModule.Cmdlets.SetCasbAppCommand' -ExpectedMessage "*Set-CasbApp -Name 'Azure Portal' -PathPrefix*"
        { Test-CasbAccess -StorePath $store -Uri 'https://azure.contoso.local/admin/secret' } |
            Should -Throw -ErrorId 'EscapedPathPrefix,CasbModule.Cmdlets.TestCasbAccessCommand'

        Set-CasbApp -StorePath $store 'Azure Portal' -PathPrefix '/admin' -Upstream 'http://127.0.0.1:9090'

        (Get-CasbApp -StorePath $store 'Azure Portal').PathPrefix | Should -Be '/admin'
        (Test-CasbAccess -StorePath $store -Uri 'https://azure.contoso.local//admin/secret').App | Should -Be 'Azure Portal'
    }

    It 'writes nothing with -WhatIf' {
        $before = Get-Content (Join-Path $store 'casb.json') -Raw

        Set-CasbApp -StorePath $store 'Azure Portal' -PathPrefix '/x' -WhatIf

        Get-Content (Join-Path $store 'casb.json') -Raw | Should -Be $before
    }
}
