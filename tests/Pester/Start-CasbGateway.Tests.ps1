BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    . (Join-Path $PSScriptRoot 'FreePort.ps1')

    # Processes whose command line names the store: what "no process left behind" is checked against.
    function Get-StoreProcess([string] $Store) {
        # A process may exit while it is being looked at: read its command line once.
        Get-Process | Where-Object { $line = $_.CommandLine; $line -and $line.Contains($Store) }
    }
}

Describe 'Start-CasbGateway' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        $port = Get-FreePort
    }

    AfterEach {
        Get-CasbGateway -StorePath $store -ErrorAction SilentlyContinue | Stop-CasbGateway -Timeout 5 -ErrorAction SilentlyContinue
        Get-StoreProcess $store | ForEach-Object { Stop-Process -Id $_.Id -Force -ErrorAction SilentlyContinue }
    }

    It 'starts a gateway that answers /healthz with its self-signed localhost certificate and returns it' {
        $gateway = Start-CasbGateway -StorePath $store -Port $port -Name 'lab'

        $gateway | Should -BeOfType 'CasbModule.Types.CasbGateway'
        $gateway.Name | Should -Be 'lab'
        $gateway.Status | Should -Be 'Running'
        $gateway.Url | Should -Be "https://127.0.0.1:$port"
        (Get-Process -Id $gateway.ProcessId).Id | Should -Be $gateway.ProcessId
        (Invoke-WebRequest "$($gateway.Url)/healthz" -SkipCertificateCheck).Content | Should -Match 'Healthy'
        Test-Path (Join-Path $store 'gateway/server.pfx') | Should -BeTrue
        Test-Path (Join-Path $store 'gateways/lab.json') | Should -BeTrue
        (Invoke-WebRequest "$($gateway.Url)/metrics" -SkipCertificateCheck).Content |
            Should -Match 'casb_gateway_activity_queue_capacity\{[^}]*sink="file"[^}]*\} 100000\b'
    }

    It 'starts the gateway with the activity queue capacity given, which /metrics shows in effect' {
        $gateway = Start-CasbGateway -StorePath $store -Port $port -ActivityQueueCapacity 4321

        (Get-Process -Id $gateway.ProcessId).CommandLine | Should -BeLike '*--activity-queue-capacity 4321*'
        (Invoke-WebRequest "$($gateway.Url)/metrics" -SkipCertificateCheck).Content |
            Should -Match 'casb_gateway_activity_queue_capacity\{[^}]*sink="file"[^}]*\} 4321\b'
    }

    It 'refuses an activity queue capacity outside 1 to 10,000,000, even with -WhatIf, and starts nothing' {
        foreach ($capacity in 0, -5, 10000001) {
            { Start-CasbGateway -StorePath $store -Port $port -ActivityQueueCapacity $capacity -WhatIf } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,CasbModule.Cmdlets.StartCasbGatewayCommand'
        }

        Get-StoreProcess $store | Should -BeNullOrEmpty
        Get-CasbGateway -StorePath $store | Should -BeNullOrEmpty
    }

    It 'sends OTLP uncompressed with -ActivityOtlpCompression none, and refuses the parameter without an endpoint' {
        { Start-CasbGateway -StorePath $store -Port $port -ActivityOtlpCompression none } |
            Should -Throw -ErrorId 'InvalidOtlpCompression,CasbModule.Cmdlets.StartCasbGatewayCommand'
        { Start-CasbGateway -StorePath $store -Port $port -ActivityOtlpEndpoint 'http://127.0.0.1:4318' -ActivityOtlpCompression brotli } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CasbModule.Cmdlets.StartCasbGatewayCommand'
        Get-StoreProcess $store | Should -BeNullOrEmpty

        $gateway = Start-CasbGateway -StorePath $store -Port $port -ActivityOtlpEndpoint "http://127.0.0.1:$(Get-FreePort)" -ActivityOtlpCompression none
        (Get-Process -Id $gateway.ProcessId).CommandLine | Should -BeLike '*--activity-otlp-compression none*'
    }

    It 'reuses the self-signed server certificate on the next start' {
        $first = Start-CasbGateway -StorePath $store -Port $port
        $thumbprint = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile((Join-Path $store 'gateway/server.pfx'), $null).Thumbprint
        $first | Stop-CasbGateway

        Start-CasbGateway -StorePath $store -Port $port | Out-Null

        [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile((Join-Path $store 'gateway/server.pfx'), $null).Thumbprint |
            Should -Be $thumbprint
    }

    It 'refuses a second gateway of the same name' {
        Start-CasbGateway -StorePath $store -Port $port | Out-Null

        { Start-CasbGateway -StorePath $store -Port (Get-FreePort) } |
            Should -Throw -ErrorId 'GatewayAlreadyRunning,CasbModule.Cmdlets.StartCasbGatewayCommand'
        @(Get-CasbGateway -StorePath $store).Count | Should -Be 1
    }

    It 'leaves one gateway of a name when two starts of it race: the other is GatewayAlreadyRunning and leaves no process behind' {
        $manifest = $env:CASB_MODULE_MANIFEST
        $outcomes = $port, (Get-FreePort) | ForEach-Object -ThrottleLimit 2 -Parallel {
            Import-Module $using:manifest
            try {
                (Start-CasbGateway -StorePath $using:store -Port $_ -ErrorAction Stop).ProcessId
            }
            catch {
                $_.FullyQualifiedErrorId
            }
        }

        $started = @($outcomes | Where-Object { $_ -is [int] })
        $started.Count | Should -Be 1
        $outcomes | Where-Object { $_ -isnot [int] } | Should -Be 'GatewayAlreadyRunning,CasbModule.Cmdlets.StartCasbGatewayCommand'
        (Get-CasbGateway -StorePath $store).ProcessId | Should -Be $started[0]
        @(Get-StoreProcess $store).Id | Should -Be $started[0]
    }

    It 'leaves one gateway when two starts of one name in two cases race, writing to the log file its record names' -ForEach @(
        @{ Names = 'Lab', 'lab' }
        @{ Names = 'lab', 'lab' }
    ) {
        $manifest = $env:CASB_MODULE_MANIFEST
        $ports = $port, (Get-FreePort)
        $firstLog = Join-Path $store "gateways/$($Names[0]).log"
        $outcomes = 0, 1 | ForEach-Object -ThrottleLimit 2 -Parallel {
            Import-Module $using:manifest
            if ($_ -eq 1) {
                # The second start begins once the first gateway has opened its log, before the first start records it.
                $until = [DateTime]::UtcNow.AddSeconds(30)
                while (-not (Test-Path $using:firstLog) -and [DateTime]::UtcNow -lt $until) { Start-Sleep -Milliseconds 10 }
            }

            try {
                (Start-CasbGateway -StorePath $using:store -Port ($using:ports)[$_] -Name ($using:Names)[$_] -ErrorAction Stop).ProcessId
            }
            catch {
                $_.FullyQualifiedErrorId
            }
        }

        $started = @($outcomes | Where-Object { $_ -is [int] })
        $started.Count | Should -Be 1
        $outcomes | Where-Object { $_ -isnot [int] } | Should -Be 'GatewayAlreadyRunning,CasbModule.Cmdlets.StartCasbGatewayCommand'
        $gateway = Get-CasbGateway -StorePath $store
        $gateway.ProcessId | Should -Be $started[0]
        @(Get-StoreProcess $store).Id | Should -Be $started[0]
        # The running gateway writes to the file its record names, not to one a losing start deleted under it.
        $logs = @(Get-ChildItem "/proc/$($started[0])/fd" | ForEach-Object LinkTarget | Where-Object { $_ -like '*/gateways/*' })
        $logs | Should -Be $gateway.LogFile
    }

    It 'fails with the gateway''s own message when the port is in use, and leaves no process behind' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port)
        $listener.Start()
        try {
            { Start-CasbGateway -StorePath $store -Port $port -StartupTimeout 20 } |
                Should -Throw -ErrorId 'GatewayStartFailed,CasbModule.Cmdlets.StartCasbGatewayCommand' -ExpectedMessage '*address*in use*'
        }
        finally {
            $listener.Stop()
        }

        Get-StoreProcess $store | Should -BeNullOrEmpty
        Get-CasbGateway -StorePath $store | Should -BeNullOrEmpty
    }

    It 'fails clearly on a wrong certificate password' {
        $lab = Join-Path $TestDrive 'lab'
        New-CasbSampleCertificate -OutputPath $lab -Force | Out-Null
        $wrong = ConvertTo-SecureString 'not-the-password' -AsPlainText -Force

        { Start-CasbGateway -StorePath $store -Port $port -CertificatePath (Join-Path $lab 'gateway.pfx') -CertificatePassword $wrong } |
            Should -Throw -ErrorId 'GatewayStartFailed,CasbModule.Cmdlets.StartCasbGatewayCommand' -ExpectedMessage '*gateway.pfx*password*'
        Get-StoreProcess $store | Should -BeNullOrEmpty
    }

    It 'serves with the given certificate and password' {
        $lab = Join-Path $TestDrive 'lab'
        New-CasbSampleCertificate -OutputPath $lab -Force | Out-Null
        $password = ConvertTo-SecureString 'CasbLab!2026' -AsPlainText -Force
        $expected = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12CollectionFromFile((Join-Path $lab 'gateway.pfx'), 'CasbLab!2026') |
            Where-Object HasPrivateKey

        $gateway = Start-CasbGateway -StorePath $store -Port $port -CertificatePath (Join-Path $lab 'gateway.pfx') -CertificatePassword $password

        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port)
        try {
            $ssl = [System.Net.Security.SslStream]::new($client.GetStream(), $false, { $true })
            $ssl.AuthenticateAsClient('localhost')
            $ssl.RemoteCertificate.GetCertHashString() | Should -Be $expected.Thumbprint
        }
        finally {
            $client.Dispose()
        }
    }

    It 'refuses to start on a corrupt store with the store''s message' {
        New-Item -ItemType Directory -Path $store | Out-Null
        Set-Content -Path (Join-Path $store 'casb.json') -Value '{ broken'

        { Start-CasbGateway -StorePath $store -Port $port } |
            Should -Throw -ErrorId 'GatewayStartFailed,CasbModule.Cmdlets.StartCasbGatewayCommand' -ExpectedMessage '*casb.json*corrupt*'
        Get-StoreProcess $store | Should -BeNullOrEmpty
    }

    It 'fails with one line naming the log file when it cannot be opened (exit 1, no stack trace), and leaves no process behind' {
        # A folder where the log file goes: unopenable for root too, unlike a permission bit.
        New-Item -ItemType Directory -Path (Join-Path $store 'gateways/default.log') -Force | Out-Null

        $failure = $null
        try { Start-CasbGateway -StorePath $store -Port $port } catch { $failure = $_ }

        $failure.FullyQualifiedErrorId | Should -Be 'GatewayStartFailed,CasbModule.Cmdlets.StartCasbGatewayCommand'
        $failure.Exception.Message | Should -BeLike "*exit code 1)*Cannot open the log file '$(Join-Path $store 'gateways/default.log')': it is a folder"
        $failure.Exception.Message | Should -Not -Match "`n|   at |Unhandled exception"
        Get-StoreProcess $store | Should -BeNullOrEmpty
        Get-CasbGateway -StorePath $store | Should -BeNullOrEmpty
    }

    It 'fails with one line naming the activity folder when the activity log cannot be written' {
        New-Item -ItemType Directory -Path $store | Out-Null
        Set-Content -Path (Join-Path $store 'activity') -Value 'not a folder'

        $failure = $null
        try { Start-CasbGateway -StorePath $store -Port $port } catch { $failure = $_ }

        $failure.FullyQualifiedErrorId | Should -Be 'GatewayStartFailed,CasbModule.Cmdlets.StartCasbGatewayCommand'
        $failure.Exception.Message | Should -BeLike "*exit code 1)*Cannot write the activity log in '$(Join-Path $store 'activity')'*"
        $failure.Exception.Message | Should -Not -Match "`n|   at |Unhandled exception"
        Get-StoreProcess $store | Should -BeNullOrEmpty
    }

    It 'refuses an OTLP endpoint that is not an http or https URL, even with -WhatIf, and starts nothing' {
        { Start-CasbGateway -StorePath $store -Port $port -ActivityOtlpEndpoint 'ftp://collector/' -WhatIf } |
            Should -Throw -ErrorId 'InvalidOtlpEndpoint,CasbModule.Cmdlets.StartCasbGatewayCommand'
        { Start-CasbGateway -StorePath $store -Port $port -ActivityOtlpEndpoint 'http://user:secret@collector:4318' } |
            Should -Throw -ErrorId 'InvalidOtlpEndpoint,CasbModule.Cmdlets.StartCasbGatewayCommand' -ExpectedMessage '*must not carry user information*'

        Get-StoreProcess $store | Should -BeNullOrEmpty
    }

    It 'refuses an OTLP header without an endpoint or with a bad name, never showing its value' {
        { Start-CasbGateway -StorePath $store -Port $port -ActivityOtlpHeader @{ 'X-Api-Key' = 'k' } } |
            Should -Throw -ErrorId 'InvalidOtlpHeader,CasbModule.Cmdlets.StartCasbGatewayCommand'
        $failure = $null
        try { Start-CasbGateway -StorePath $store -Port $port -ActivityOtlpEndpoint 'http://127.0.0.1:4318' -ActivityOtlpHeader @{ 'Bad Name' = 'pester-secret' } }
        catch { $failure = $_ }

        $failure.FullyQualifiedErrorId | Should -Be 'InvalidOtlpHeader,CasbModule.Cmdlets.StartCasbGatewayCommand'
        $failure.Exception.Message | Should -Not -BeLike '*pester-secret*'
        Get-StoreProcess $store | Should -BeNullOrEmpty
    }

    It 'also sends activity to the OTLP endpoint, with its header passed through the environment and never logged' {
        $otlpPort = Get-FreePort
        $listener = [System.Net.HttpListener]::new()
        $listener.Prefixes.Add("http://127.0.0.1:$otlpPort/")
        $listener.Start()
        try {
            $gateway = Start-CasbGateway -StorePath $store -Port $port -ActivityOtlpEndpoint "http://127.0.0.1:$otlpPort" -ActivityOtlpHeader @{ 'X-Api-Key' = 'pester-secret' }
            (Get-Process -Id $gateway.ProcessId).CommandLine | Should -BeLike "*--activity-otlp http://127.0.0.1:$otlpPort/v1/logs*"
            (Get-Process -Id $gateway.ProcessId).CommandLine | Should -Not -BeLike '*pester-secret*'

            $pending = $listener.GetContextAsync()
            Invoke-WebRequest "$($gateway.Url)/otlp-probe" -SkipCertificateCheck -SkipHttpErrorCheck | Out-Null
            $pending.Wait(15000) | Should -BeTrue
            $context = $pending.Result
            # gzip by default: a collector decompresses it, as every OTLP receiver must.
            $gzip = [System.IO.Compression.GZipStream]::new($context.Request.InputStream, [System.IO.Compression.CompressionMode]::Decompress)
            $body = [System.IO.StreamReader]::new($gzip).ReadToEnd()
            $context.Response.StatusCode = 200
            $context.Response.Close()

            $context.Request.HttpMethod | Should -Be 'POST'
            $context.Request.Url.AbsolutePath | Should -Be '/v1/logs'
            $context.Request.Headers['X-Api-Key'] | Should -Be 'pester-secret'
            $context.Request.Headers['Content-Encoding'] | Should -Be 'gzip'
            $body | Should -BeLike '*"resourceLogs"*"service.instance.id"*"default"*/otlp-probe*'
            Get-Content (Join-Path $store 'gateways/default.log') -Raw | Should -Not -BeLike '*pester-secret*'
        }
        finally {
            $listener.Stop()
        }
    }

    It 'starts nothing with -WhatIf' {
        Start-CasbGateway -StorePath $store -Port $port -WhatIf

        Get-CasbGateway -StorePath $store | Should -BeNullOrEmpty
        Get-StoreProcess $store | Should -BeNullOrEmpty
    }
}
