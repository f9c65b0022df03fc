BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Add-CasbApp' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
    }

    It 'adds an app whose name has spaces and returns it with -PassThru' {
        $app = Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'https://127.0.0.1:9443' -Hostname 'Portal.Contoso.Local', '*.contoso.local' -PathPrefix '/portal' -ForwardClientCertificate -PassThru

        $app.Name | Should -Be 'Microsoft Online Services'
        $app.Upstream.AbsoluteUri | Should -Be 'https://127.0.0.1:9443/'
        $app.Hostnames | Should -BeExactly @('portal.contoso.local', '*.contoso.local')
        $app.PathPrefix | Should -Be '/portal'
        $app.ForwardClientCertificate | Should -BeTrue
        (Get-CasbApp -StorePath $store -Name 'Microsoft Online Services').Upstream.Host | Should -Be '127.0.0.1'
    }

    It 'writes nothing without -PassThru and defaults the path prefix to /' {
        $output = Add-CasbApp -StorePath $store 'Azure Portal' -Upstream 'http://127.0.0.1:8080'

        $output | Should -BeNullOrEmpty
        $app = Get-CasbApp -StorePath $store 'Azure Portal'
        $app.PathPrefix | Should -Be '/'
        $app.Hostnames | Should -HaveCount 0
        $app.ForwardClientCertificate | Should -BeFalse
    }

    It 'refuses a name already in the store, whatever its case' {
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8080'

        { Add-CasbApp -StorePath $store -Name 'azure portal' -Upstream 'http://127.0.0.1:8081' } |
            Should -Throw -ErrorId 'AppExists,CasbModule.Cmdlets.AddCasbAppCommand'
        (Get-CasbApp -StorePath $store).Upstream.Port | Should -Be 8080
    }

    It 'refuses an upstream that is not an absolute http(s) URI: <Upstream>' -TestCases @(
        @{ Upstream = 'ftp://127.0.0.1/' }
        @{ Upstream = '/relative/path' }
        @{ Upstream = 'file:///etc/passwd' }
    ) {
        { Add-CasbApp -StorePath $store -Name 'Bad' -Upstream $Upstream } |
            Should -Throw -ErrorId 'InvalidUpstream,CasbModule.Cmdlets.AddCasbAppCommand'
        Test-Path (Join-Path $store 'casb.json') | Should -BeFalse
    }

    It 'refuses a bad host name' {
        { Add-CasbApp -StorePath $store -Name 'Bad' -Upstream 'http://127.0.0.1' -Hostname 'not a host' } |
            Should -Throw -ErrorId 'InvalidHostname,CasbModule.Cmdlets.AddCasbAppCommand'
    }

    It 'refuses an IPv4 address with a leading zero (<Hostname>), saying what it reads as, and writes nothing' -TestCases @(
        @{ Hostname = '010.0.0.1'; Reads = '8.0.0.1' }
        @{ Hostname = '0x0a.0.0.1'; Reads = '10.0.0.1' }
    ) {
        $err = { Add-CasbApp -StorePath $store -Name 'Lab' -Upstream 'http://127.0.0.1' -Hostname $Hostname } |
            Should -Throw -ErrorId 'InvalidHostname,CasbModule.Cmdlets.AddCasbAppCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -BeLike "*reads as $Reads*"
        Test-Path (Join-Path $store 'casb.json') | Should -BeFalse
    }

    It 'refuses a path prefix that does not start with /' {
        { Add-CasbApp -StorePath $store -Name 'Bad' -Upstream 'http://127.0.0.1' -PathPrefix 'portal' } |
            Should -Throw -ErrorId 'InvalidPathPrefix,CasbModule.Cmdlets.AddCasbAppCommand'
    }

    It 'refuses an escaped path prefix (<Prefix>) with EscapedPathPrefix and writes nothing' -TestCases @(
        @{ Prefix = '/admin%2Fsecret' }
        @{ Prefix = '/%7Euser' }
        @{ Prefix = '/caf%C3%A9' }
    ) {
        { Add-CasbApp -StorePath $store -Name 'Bad' -Upstream 'http://127.0.0.1' -PathPrefix $Prefix } |
            Should -Throw -ErrorId 'EscapedPathPrefix,CasbModule.Cmdlets.AddCasbAppCommand' -ExpectedMessage '*write it decoded*'
        Test-Path (Join-Path $store 'casb.json') | Should -BeFalse
    }

    It 'refuses a path prefix the gateway could not match as written (<Why>) with InvalidPathPrefix' -TestCases @(
        @{ Why = 'a path parameter'; Prefix = '/app;v=1'; Message = "*';' path parameter*" }
        @{ Why = 'a trailing dot'; Prefix = '/admin./x'; Message = "*ends with '.'*" }
        @{ Why = 'a non-ASCII letter'; Prefix = "/caf$([char]0xE9)"; Message = '*must be ASCII*' }
        @{ Why = 'a dot segment'; Prefix = '/x/../admin'; Message = "*'..'*" }
        @{ Why = 'an empty segment'; Prefix = '//admin'; Message = '*empty*' }
    ) {
        { Add-CasbApp -StorePath $store -Name 'Bad' -Upstream 'http://127.0.0.1' -PathPrefix $Prefix } |
            Should -Throw -ErrorId 'InvalidPathPrefix,CasbModule.Cmdlets.AddCasbAppCommand' -ExpectedMessage $Message
    }

    It 'refuses a second app on the same host name and path prefix (the validator''s DuplicateRoute) and writes nothing' {
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8080' -Hostname 'portal.contoso.local'
        $before = Get-Content (Join-Path $store 'casb.json') -Raw

        { Add-CasbApp -StorePath $store -Name 'Other' -Upstream 'http://127.0.0.1:8081' -Hostname 'PORTAL.contoso.local' } |
            Should -Throw -ErrorId 'DuplicateRoute,CasbModule.Cmdlets.AddCasbAppCommand'
        Get-Content (Join-Path $store 'casb.json') -Raw | Should -Be $before
    }

    It 'warns when an exact host on / takes a wildcard app''s longer path prefix, from either side, and still adds the app' {
        Add-CasbApp -StorePath $store -Name 'Admin' -Upstream 'http://127.0.0.1:8081' -Hostname '*.contoso.local' -PathPrefix '/admin' -WarningVariable none
        $none | Should -BeNullOrEmpty

        Add-CasbApp -StorePath $store -Name 'Portal' -Upstream 'http://127.0.0.1:8080' -Hostname 'portal.contoso.local' -WarningVariable taken -WarningAction SilentlyContinue

        $taken | Should -HaveCount 1
        "$taken" | Should -BeLike "App 'Portal' (portal.contoso.local, path prefix /) takes the requests for /admin on portal.contoso.local from app 'Admin'*give 'Admin' the host name portal.contoso.local too."
        (Get-CasbApp -StorePath $store).Name | Should -Be @('Admin', 'Portal')
        Test-CasbAccess -StorePath $store -Uri 'https://portal.contoso.local/admin' -User 'u@contoso.com' | Select-Object -ExpandProperty App | Should -Be 'Portal'

        Set-CasbApp -StorePath $store -Name 'Admin' -Hostname '*.contoso.local', 'portal.contoso.local' -WarningVariable fixed
        $fixed | Should -BeNullOrEmpty
        Test-CasbAccess -StorePath $store -Uri 'https://portal.contoso.local/admin' -User 'u@contoso.com' | Select-Object -ExpandProperty App | Should -Be 'Admin'

        # The other order: the wildcard app added after the exact one is told what it loses.
        $other = Join-Path $TestDrive ([guid]::NewGuid())
        Add-CasbApp -StorePath $other -Name 'Portal' -Upstream 'http://127.0.0.1:8080' -Hostname 'portal.contoso.local'
        Add-CasbApp -StorePath $other -Name 'Admin' -Upstream 'http://127.0.0.1:8081' -Hostname '*.contoso.local' -PathPrefix '/admin' -WarningVariable lost -WarningAction SilentlyContinue
        "$lost" | Should -BeLike "App 'Portal' (portal.contoso.local, path prefix /) takes the requests for /admin on portal.contoso.local from app 'Admin'*"
    }

    It 'writes nothing with -WhatIf' {
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8080' -WhatIf

        Test-Path (Join-Path $store 'casb.json') | Should -BeFalse
        Get-CasbApp -StorePath $store | Should -BeNullOrEmpty
    }

    It 'copies apps piped from another store' {
        $other = Join-Path $TestDrive ([guid]::NewGuid())
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8080' -Hostname 'azure.contoso.local'

        Get-CasbApp -StorePath $store | Add-CasbApp -StorePath $other

        (Get-CasbApp -StorePath $other 'Azure Portal').Hostnames | Should -Be 'azure.contoso.local'
    }

    It 'completes app names, quoting names with spaces' {
        Add-CasbApp -StorePath $store -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
        Add-CasbApp -StorePath $store -Name 'Mail' -Upstream 'http://127.0.0.1:8081'
        $line = "Get-CasbApp -StorePath '$store' -Name Mi"

        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches

        $completions.CompletionText | Should -Be @("'Microsoft Online Services'")
    }
}
