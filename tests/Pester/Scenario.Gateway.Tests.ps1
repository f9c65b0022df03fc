# End to end: the real gateway process (Start-CasbGateway) in front of the real sample upstream app, on loopback,
# driven by real clients (Invoke-WebRequest -Certificate, HttpClient with a client certificate, curl).
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    . (Join-Path $PSScriptRoot 'FreePort.ps1')

    function Get-LabCertificate([string] $Name) {
        [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile((Join-Path $lab $Name), $labPassword)
    }

    # One request with Invoke-WebRequest; what the user sees: status, body, the correlation id.
    function Invoke-Gateway {
        param(
            [string] $Path = '/',
            [System.Security.Cryptography.X509Certificates.X509Certificate2] $Certificate,
            [string] $UserAgent = $browser,
            [hashtable] $Headers = @{}
        )
        $request = @{
            Uri = "$($gateway.Url)$Path"; SkipCertificateCheck = $true; SkipHttpErrorCheck = $true
            UserAgent = $UserAgent; Headers = @{ Accept = 'text/html' } + $Headers
        }
        if ($Certificate) { $request.Certificate = $Certificate }
        $response = Invoke-WebRequest @request
        [pscustomobject]@{
            Status        = [int] $response.StatusCode
            Body          = [string] $response.Content
            CorrelationId = [string] ($response.Headers['X-Casb-Correlation-Id'] | Select-Object -First 1)
        }
    }

    function Wait-Activity([string] $CorrelationId) {
        foreach ($attempt in 1..50) {
            $record = Get-CasbActivity -StorePath $store -CorrelationId $CorrelationId
            if ($record) { return $record }
            Start-Sleep -Milliseconds 100
        }
    }

    $browser = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0'
    $desktop = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)'
    $labPassword = 'CasbLab!2026'
    $store = Join-Path $TestDrive 'store'
    $lab = Join-Path $TestDrive 'lab'
    $app = 'Microsoft Online Services'

    New-CasbSampleCertificate -OutputPath $lab | Out-Null
    Add-CasbTrustedRoot -StorePath $store -Path (Join-Path $lab 'root-ca.pem'), (Join-Path $lab 'intermediate-ca.pem') | Out-Null
    Add-CasbCertificateRevocationList -StorePath $store -Path (Join-Path $lab 'intermediate-ca.crl') | Out-Null

    $upstreamPort = Get-FreePort
    $gatewayDll = Join-Path (Split-Path $env:CASB_MODULE_MANIFEST) 'gateway/CasbGateway.dll'
    $upstream = Start-Process -FilePath ([Diagnostics.Process]::GetCurrentProcess().MainModule.FileName -replace 'pwsh$', 'dotnet' -replace 'pwsh.exe$', 'dotnet.exe') `
        -ArgumentList $gatewayDll, 'sample-app', '--urls', "http://127.0.0.1:$upstreamPort" -PassThru `
        -RedirectStandardOutput (Join-Path $TestDrive 'upstream.log') -RedirectStandardError (Join-Path $TestDrive 'upstream.err')

    Add-CasbApp -StorePath $store -Name $app -Upstream "http://127.0.0.1:$upstreamPort" -Hostname 'localhost', '127.0.0.1'
    # A protected app under /admin on the same hosts as the app on '/', for the path-spelling test.
    Add-CasbApp -StorePath $store -Name 'Admin console' -Upstream "http://127.0.0.1:$upstreamPort" -Hostname 'localhost', '127.0.0.1' -PathPrefix '/admin'
    New-CasbConditionalAccessPolicy -StorePath $store -Name 'Admin console via App Control' -IncludeUser All -App 'Admin console' -SessionControl AppControl | Out-Null
    New-CasbAccessPolicy -StorePath $store -Name 'Admin console closed' -App 'Admin console' -ClientApp Any -Action Block -BlockMessage 'The admin console is closed.' | Out-Null
    Add-CasbApp -StorePath $store -Name 'Down App' -Upstream "http://127.0.0.1:$(Get-FreePort)" -Hostname 'down.contoso.local'
    New-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -IncludeUser All -App $app -SessionControl AppControl | Out-Null
    New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -App $app -DeviceTag 'Valid client certificate' `
        -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.' | Out-Null

    foreach ($attempt in 1..100) {
        try { Invoke-WebRequest "http://127.0.0.1:$upstreamPort/" -TimeoutSec 2 | Out-Null; break } catch { Start-Sleep -Milliseconds 100 }
    }

    # Each request's own record is looked up below; the default (Summary) counts repeated allowed requests per minute.
    Set-CasbGatewaySetting -StorePath $store -ActivityVolume Full
    $gateway = Start-CasbGateway -StorePath $store -Port (Get-FreePort) -Name 'scenario' -UpstreamTimeout 5
    $client = Get-LabCertificate 'client.pfx'
}

AfterAll {
    Get-CasbGateway -StorePath $store -ErrorAction SilentlyContinue | Stop-CasbGateway -Timeout 5 -ErrorAction SilentlyContinue
    if ($gateway) { Stop-Process -Id $gateway.ProcessId -Force -ErrorAction SilentlyContinue }
    if ($upstream) { Stop-Process -Id $upstream.Id -Force -ErrorAction SilentlyContinue }
}

Describe 'The gateway in front of a real app' {
    It 'allows a browser with a valid client certificate (Invoke-WebRequest -Certificate) and records it' {
        $response = Invoke-Gateway -Certificate $client

        $response.Status | Should -Be 200
        $response.Body | Should -Match 'Hello from the Casb sample app'
        $response.Body | Should -Match '<dd id="x-forwarded-proto">https</dd>'
        $record = Wait-Activity $response.CorrelationId
        $record.Action | Should -Be 'Allow'
        $record.HttpStatus | Should -Be 200
        $record.App | Should -Be $app
        $record.User | Should -Be 'vendor@contoso.com'
        $record.CertificateStatus | Should -Be 'Valid'
        $record.CertificateThumbprint | Should -Be $client.Thumbprint
        $record.DeviceTags | Should -Contain 'Valid client certificate'
        $record.Gateway | Should -Be 'scenario'
    }

    It 'allows HttpClient with a client certificate' {
        $handler = [System.Net.Http.HttpClientHandler]::new()
        # The gateway's self-signed server certificate (a script block cannot run on HttpClient's threads).
        $handler.ServerCertificateCustomValidationCallback = [System.Net.Http.HttpClientHandler]::DangerousAcceptAnyServerCertificateValidator
        $handler.ClientCertificateOptions = 'Manual'
        $handler.ClientCertificates.Add($client) | Out-Null
        $http = [System.Net.Http.HttpClient]::new($handler)
        try {
            $http.DefaultRequestHeaders.UserAgent.ParseAdd($browser)
            $response = $http.GetAsync("$($gateway.Url)/inbox").GetAwaiter().GetResult()
            [int] $response.StatusCode | Should -Be 200
            $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() | Should -Match '<dd id="path">/inbox</dd>'
        }
        finally {
            $http.Dispose()
        }
    }

    It 'allows curl with the client certificate and blocks it without' -Skip:(-not (Get-Command curl -CommandType Application -ErrorAction SilentlyContinue)) {
        $with = & curl -sk --cert-type P12 --cert "$(Join-Path $lab 'client.pfx'):$labPassword" -A $browser "$($gateway.Url)/" -w '%{http_code}'
        $without = & curl -sk -A $browser "$($gateway.Url)/" -w '%{http_code}'

        ($with -join "`n") | Should -Match 'Hello from the Casb sample app'
        ($with -join "`n") | Should -Match '200$'
        ($without -join "`n") | Should -Match '"message":"Use a company device."'
        ($without -join "`n") | Should -Match '403$'
    }

    It 'blocks a browser without a certificate with the policy''s message on the block page' {
        $response = Invoke-Gateway

        $response.Status | Should -Be 403
        $response.Body | Should -Match '<title>Access blocked</title>'
        $response.Body | Should -Match 'Use a company device\.'
        $response.Body | Should -Match ([regex]::Escape($app))
        $response.Body | Should -Match $response.CorrelationId
        $response.Body | Should -Not -Match 'Hello from the Casb sample app'
        $record = Wait-Activity $response.CorrelationId
        $record.Action | Should -Be 'Block'
        $record.HttpStatus | Should -Be 403
        $record.BlockingPolicy | Should -Be 'Require certificate'
        $record.BlockMessage | Should -Be 'Use a company device.'
        $record.CertificateStatus | Should -Be 'NoCertificate'
    }

    It 'blocks a certificate that is <Name>' -ForEach @(
        @{ Name = 'expired'; File = 'expired-client.pfx'; Status = 'Expired' }
        @{ Name = 'untrusted'; File = 'untrusted-client.pfx'; Status = 'UntrustedRoot' }
        @{ Name = 'revoked'; File = 'revoked-client.pfx'; Status = 'Revoked' }
    ) {
        $certificate = Get-LabCertificate $File

        $response = Invoke-Gateway -Certificate $certificate

        $response.Status | Should -Be 403
        $response.Body | Should -Match 'Use a company device\.'
        $record = Wait-Activity $response.CorrelationId
        $record.Action | Should -Be 'Block'
        $record.CertificateThumbprint | Should -Be $certificate.Thumbprint
        $record.CertificateStatus | Should -Be $Status
    }

    It 'lets a desktop app without a certificate through a browser-only policy' {
        $response = Invoke-Gateway -UserAgent $desktop

        $response.Status | Should -Be 200
        $record = Wait-Activity $response.CorrelationId
        $record.ClientAppType | Should -Be 'MobileAndDesktop'
        $record.Action | Should -Be 'Allow'
    }

    It 'gives forged certificate headers nothing, and never passes them upstream' {
        $forged = @{
            'X-Client-Cert' = [Convert]::ToBase64String($client.RawData)
            'Client-Cert'   = ":$([Convert]::ToBase64String($client.RawData)):"
            'X-SSL-Client-Verify' = 'SUCCESS'
        }

        $blocked = Invoke-Gateway -Headers $forged
        $allowed = Invoke-Gateway -Certificate $client -Headers $forged

        $blocked.Status | Should -Be 403
        (Wait-Activity $blocked.CorrelationId).CertificateStatus | Should -Be 'NoCertificate'
        $allowed.Status | Should -Be 200
        $allowed.Body | Should -Match '<dd id="client-cert">absent</dd>'
        $allowed.Body | Should -Not -Match 'X-Client-Cert'
        $allowed.Body | Should -Not -Match 'X-SSL-Client-Verify'
    }

    It 'answers 502 when the app''s upstream is down' {
        $response = Invoke-Gateway -Headers @{ Host = 'down.contoso.local' }

        $response.Status | Should -Be 502
        $response.Body | Should -Match 'The app is not reachable'
        $response.Body | Should -Not -Match 'Exception'
        $record = Wait-Activity $response.CorrelationId
        $record.App | Should -Be 'Down App'
        $record.HttpStatus | Should -Be 502
        $record.Error | Should -Not -BeNullOrEmpty
    }

    It 'answers 504 when the app does not answer within the upstream timeout' {
        $response = Invoke-Gateway -Certificate $client -Path '/slow?seconds=30'

        $response.Status | Should -Be 504
        $response.Body | Should -Match 'did not answer in time'
        (Wait-Activity $response.CorrelationId).HttpStatus | Should -Be 504
    }

    It 'answers 404 for a host no app is published on' {
        $response = Invoke-Gateway -Certificate $client -Headers @{ Host = 'nothing.contoso.local' }

        $response.Status | Should -Be 404
        $response.Body | Should -Match 'No app is published at this address'
        (Wait-Activity $response.CorrelationId).HttpStatus | Should -Be 404
    }

    It 'applies a policy added while the gateway runs' {
        (Invoke-Gateway -Certificate $client -Path '/finance').Status | Should -Be 200

        New-CasbAccessPolicy -StorePath $store -Name 'Block report bots' -App $app -ClientApp Any -UserAgentContains 'ReportBot' `
            -Action Block -BlockMessage 'Automated reports are paused.' | Out-Null

        $response = $null
        foreach ($attempt in 1..50) {
            $response = Invoke-Gateway -Certificate $client -Path '/finance' -UserAgent "$browser ReportBot/1.0"
            if ($response.Status -eq 403) { break }
            Start-Sleep -Milliseconds 200
        }
        $response.Status | Should -Be 403
        $response.Body | Should -Match 'Automated reports are paused\.'
        (Wait-Activity $response.CorrelationId).BlockingPolicy | Should -Be 'Block report bots'
        (Invoke-Gateway -Certificate $client -Path '/finance').Status | Should -Be 200
    }

    It 'lists every case in Get-CasbActivity, newest first' {
        $records = Get-CasbActivity -StorePath $store

        $records.Count | Should -BeGreaterOrEqual 10
        $records.Action | Should -Contain 'Allow'
        $records.Action | Should -Contain 'Block'
        $records.HttpStatus | Should -Contain 502
        $records.HttpStatus | Should -Contain 404
        $records[0].Time | Should -BeGreaterOrEqual $records[-1].Time
        (Get-CasbActivity -StorePath $store -Action Block -First 1).Action | Should -Be 'Block'
    }

    It 'exposes requests, decision latency and certificate failures by reason for Prometheus' {
        $metrics = (Invoke-WebRequest "$($gateway.Url)/metrics" -SkipCertificateCheck).Content

        $metrics | Should -Match 'casb_gateway_requests_total\{[^}]*action="Block"[^}]*app="Microsoft Online Services"'
        $metrics | Should -Match 'casb_gateway_decision_duration_milliseconds_bucket'
        $metrics | Should -Match 'casb_gateway_certificate_failures_total\{[^}]*reason="Expired"[^}]*\} 1'
        $metrics | Should -Match 'casb_gateway_certificate_failures_total\{[^}]*reason="Revoked"[^}]*\} 1'
    }

    It 'agrees with Test-CasbAccess for the same request (<Name>)' -ForEach @(
        @{ Name = 'valid certificate, browser'; File = 'client.pfx'; Agent = 'browser' }
        @{ Name = 'no certificate, browser'; File = $null; Agent = 'browser' }
        @{ Name = 'expired certificate, browser'; File = 'expired-client.pfx'; Agent = 'browser' }
        @{ Name = 'no certificate, desktop app'; File = $null; Agent = 'desktop' }
    ) {
        $certificate = if ($File) { Get-LabCertificate $File } else { $null }
        $userAgent = if ($Agent -eq 'browser') { $browser } else { $desktop }
        $response = Invoke-Gateway -Certificate $certificate -UserAgent $userAgent -Path '/mail'
        $record = Wait-Activity $response.CorrelationId

        $whatIf = @{ StorePath = $store; Uri = "https://localhost/mail"; UserAgent = $userAgent; IPAddress = '127.0.0.1' }
        if ($certificate) { $whatIf.Certificate = $certificate }
        $decision = Test-CasbAccess @whatIf

        "$($decision.Action)" | Should -Be $record.Action
        $decision.App | Should -Be $record.App
        $decision.User | Should -Be $record.User
        "$($decision.ClientAppType)" | Should -Be $record.ClientAppType
        $decision.CertificateStatus | Should -Be $record.CertificateStatus
        $decision.BlockingPolicy | Should -Be $record.BlockingPolicy
        $decision.BlockMessage | Should -Be $record.BlockMessage
        @($decision.MatchedPolicies.Name) | Should -Be @($record.MatchedPolicies)
        $decision.Revision | Should -Be $record.Revision
    }

    It 'decides a path as sent with curl --path-as-is on its one canonical spelling: <Name>' -Skip:(-not (Get-Command curl -CommandType Application -ErrorAction SilentlyContinue)) -ForEach @(
        @{ Name = '//admin/secret is the /admin app, blocked'; Path = '//admin/secret'; Status = 403; Page = 'The admin console is closed\.'; App = 'Admin console'; Logged = '/admin/secret' }
        @{ Name = '/.//admin/secret is the /admin app, blocked'; Path = '/.//admin/secret'; Status = 403; Page = 'The admin console is closed\.'; App = 'Admin console'; Logged = '/admin/secret' }
        @{ Name = '/admin%2Fsecret is refused'; Path = '/admin%2Fsecret'; Status = 400; Page = 'Address not accepted.*encoded &#39;/&#39; \(%2F\)'; App = $null; Logged = '/admin%2Fsecret' }
        @{ Name = '/admin;x/secret is refused'; Path = '/admin;x/secret'; Status = 400; Page = 'Address not accepted.*&#39;;&#39; path parameter'; App = $null; Logged = '/admin;x/secret' }
        @{ Name = '/x/..//inbox reaches the app on / as /inbox'; Path = '/x/..//inbox'; Status = 200; Page = '<dd id="path">/inbox</dd>'; App = 'Microsoft Online Services'; Logged = '/inbox' }
    ) {
        # With the client certificate the app on '/' would let the request through: only the path decides here.
        $headers = Join-Path $TestDrive 'path-headers.txt'
        $status = & curl --path-as-is -sk --cert-type P12 --cert "$(Join-Path $lab 'client.pfx'):$labPassword" -A $browser -H 'Accept: text/html' `
            -D $headers -o (Join-Path $TestDrive 'path-body.html') -w '%{http_code}' "$($gateway.Url)$Path"
        $body = Get-Content (Join-Path $TestDrive 'path-body.html') -Raw
        $correlationId = (Select-String -Path $headers -Pattern '^X-Casb-Correlation-Id:\s*(\S+)').Matches[0].Groups[1].Value

        [int] $status | Should -Be $Status
        $body | Should -Match $Page
        $record = Wait-Activity $correlationId
        $record.HttpStatus | Should -Be $Status
        $record.App | Should -Be $App
        $record.Path | Should -Be $Logged
        if ($Status -eq 400) {
            $record.Action | Should -Be 'Block'
            $record.Error | Should -BeLike 'RequestPathAmbiguous: *'
            $record.ErrorSource | Should -Be 'Client'
            $body | Should -Not -Match 'Hello from the Casb sample app'
        }
    }

    It 'never passes a forged proxy, certificate or identity header of any family upstream, in any spelling' -Skip:(-not (Get-Command curl -CommandType Application -ErrorAction SilentlyContinue)) {
        $forged = 'X-Forwarded-Tls-Client-Cert', 'X-Forwarded-Port', 'X-Forwarded-Uri', 'X-Amzn-Mtls-Clientcert', 'SSL_CLIENT_CERT',
            'X-Client-Verify', 'X-MS-CLIENT-PRINCIPAL-NAME', 'Cf-Client-Cert-Der-Base64', 'X-Original-URL', 'x_real_ip', 'X_CASB_USER'
        $arguments = @('-sk', '--cert-type', 'P12', '--cert', "$(Join-Path $lab 'client.pfx'):$labPassword", '-A', $browser,
            '-H', 'X-Requested-With: XMLHttpRequest')
        foreach ($name in $forged) { $arguments += '-H', "${name}: forged-$name" }

        $body = (& curl @arguments "$($gateway.Url)/headers") -join "`n"

        $body | Should -Match 'Hello from the Casb sample app'
        $body | Should -Match 'X-Requested-With: XMLHttpRequest'
        $body | Should -Not -Match 'forged-'
    }

    It 'gives every request its own correlation id, even with the same traceparent, and records the trace id apart' {
        $traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

        $first = Invoke-Gateway -Certificate $client -Headers @{ traceparent = $traceparent }
        $second = Invoke-Gateway -Certificate $client -Headers @{ traceparent = $traceparent }

        $first.CorrelationId | Should -Not -BeNullOrEmpty
        $first.CorrelationId | Should -Not -Be $second.CorrelationId
        $first.CorrelationId | Should -Not -Be '4bf92f3577b34da6a3ce929d0e0e4736'
        (Wait-Activity $first.CorrelationId).TraceId | Should -Be '4bf92f3577b34da6a3ce929d0e0e4736'
        (Wait-Activity $second.CorrelationId).TraceId | Should -Be '4bf92f3577b34da6a3ce929d0e0e4736'
    }

    It 'sends its own pages with frame-ancestors none, no-referrer and HSTS, and the revision on /readyz to a metrics caller' {
        $response = Invoke-WebRequest "$($gateway.Url)/" -SkipCertificateCheck -SkipHttpErrorCheck -UserAgent $browser -Headers @{ Accept = 'text/html' }

        $response.StatusCode | Should -Be 403
        "$($response.Headers['Content-Security-Policy'])" | Should -Match "frame-ancestors 'none'"
        "$($response.Headers['Referrer-Policy'])" | Should -Be 'no-referrer'
        "$($response.Headers['Strict-Transport-Security'])" | Should -Match '^max-age=\d+$'
        (Invoke-WebRequest "$($gateway.Url)/readyz" -SkipCertificateCheck).Content | Should -Match '^Ready: revision \d+ \(sha256 [0-9a-f]{12}\)'
    }

    It 'answers a malformed request body with 400 and records it as the client''s fault, not the app''s' {
        $tcp = [System.Net.Sockets.TcpClient]::new('127.0.0.1', ([uri] $gateway.Url).Port)
        $tcp.ReceiveTimeout = 20000
        try {
            $ssl = [System.Net.Security.SslStream]::new($tcp.GetStream(), $false, { $true })
            $ssl.AuthenticateAsClient('localhost')
            $request = "POST /upload HTTP/1.1`r`nHost: 127.0.0.1`r`nUser-Agent: $desktop`r`nAccept: application/json`r`n" +
                "Transfer-Encoding: chunked`r`n`r`n5`r`nhello`r`nnot-a-chunk-size`r`n`r`n"
            $bytes = [System.Text.Encoding]::ASCII.GetBytes($request)
            $ssl.Write($bytes, 0, $bytes.Length)
            $ssl.Flush()
            $reader = [System.IO.StreamReader]::new($ssl)
            $lines = [System.Collections.Generic.List[string]]::new()
            while ($null -ne ($line = $reader.ReadLine())) {
                $lines.Add($line)
                if ($line -match '^\{.*\}$') { break }
            }
        }
        finally {
            $tcp.Dispose()
        }

        $lines[0] | Should -Match '^HTTP/1.1 400'
        ($lines -join "`n") | Should -Match '"error":"bad_request"'
        $correlationId = ($lines | Where-Object { $_ -match '^X-Casb-Correlation-Id: ' }) -replace '^X-Casb-Correlation-Id: ', ''
        $record = Wait-Activity $correlationId
        $record.HttpStatus | Should -Be 400
        $record.ErrorSource | Should -Be 'Client'
        $metrics = (Invoke-WebRequest "$($gateway.Url)/metrics" -SkipCertificateCheck).Content
        $metrics | Should -Match 'casb_gateway_client_errors_total\{[^}]*error="RequestBodyClient"'
        $metrics | Should -Match 'casb_gateway_upstream_errors_total\{[^}]*app="Down App"'
        $metrics | Should -Not -Match 'casb_gateway_upstream_errors_total\{[^}]*app="Microsoft Online Services"[^}]*error="Request(Body)?(Client|Canceled)?"'
    }

    It 'keeps enforcing the last good configuration when casb.json is deleted, and says so on /readyz until it is back' {
        $file = Join-Path $store 'casb.json'
        Move-Item $file "$file.away"
        try {
            $ready = ''
            foreach ($attempt in 1..50) {
                $ready = (Invoke-WebRequest "$($gateway.Url)/readyz" -SkipCertificateCheck).Content
                if ($ready -match 'degraded') { break }
                Start-Sleep -Milliseconds 200
            }

            $ready | Should -Match "degraded: the store file '.*casb\.json' is missing"
            (Invoke-Gateway -Certificate $client).Status | Should -Be 200
            (Invoke-Gateway).Status | Should -Be 403
        }
        finally {
            Move-Item "$file.away" $file -Force
        }

        foreach ($attempt in 1..50) {
            $ready = (Invoke-WebRequest "$($gateway.Url)/readyz" -SkipCertificateCheck).Content
            if ($ready -notmatch 'degraded') { break }
            Start-Sleep -Milliseconds 200
        }
        $ready | Should -Not -Match 'degraded'
    }

    It 'finishes an in-flight request when stopped gracefully' -Skip:($IsWindows -or -not (Get-Command curl -CommandType Application -ErrorAction SilentlyContinue)) {
        $out = Join-Path $TestDrive 'slow.txt'
        $slow = Start-Process curl -PassThru -RedirectStandardOutput $out -ArgumentList @(
            '-sk', '--cert-type', 'P12', '--cert', "$(Join-Path $lab 'client.pfx'):$labPassword", '-A', "`"$browser`"",
            "$($gateway.Url)/slow?seconds=3")
        Start-Sleep -Seconds 1

        Stop-CasbGateway -StorePath $store -Name 'scenario' -Timeout 20

        $slow.WaitForExit(20000) | Should -BeTrue
        Get-Content $out -Raw | Should -Match 'Slow answer from the Casb sample app'
        Get-Process -Id $gateway.ProcessId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
