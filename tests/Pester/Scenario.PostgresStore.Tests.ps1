# End to end on a PostgreSQL store: the real gateway process (Start-CasbGateway -StorePath postgresql://…) in front of
# the real sample upstream app, a change made with a cmdlet from this session, and a real client that sees it.
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'PostgresCluster.ps1')
    . (Join-Path $PSScriptRoot 'TestIdentityProvider.ps1') # Get-FreePort (FreePort.ps1), Get-TestDotnet
    $cluster = Start-TestPostgres
    $env:CASB_STATE_DIRECTORY = Join-Path $TestDrive 'state'
    $store = New-TestPostgresDatabase $cluster -Prefix 'scenario'
    $browser = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0'
    $app = 'Contoso CRM'

    function Invoke-Gateway([string] $Path = '/') {
        $response = Invoke-WebRequest -Uri "$($gateway.Url)$Path" -SkipCertificateCheck -SkipHttpErrorCheck -UserAgent $browser -Headers @{ Accept = 'text/html' } -TimeoutSec 10
        [pscustomobject]@{ Status = [int] $response.StatusCode; Body = [string] $response.Content }
    }

    $upstreamPort = Get-FreePort
    $gatewayDll = Join-Path (Split-Path $env:CASB_MODULE_MANIFEST) 'gateway/CasbGateway.dll'
    $upstream = Start-Process -FilePath (Get-TestDotnet) -ArgumentList $gatewayDll, 'sample-app', '--urls', "http://127.0.0.1:$upstreamPort" -PassThru `
        -RedirectStandardOutput (Join-Path $TestDrive 'upstream.log') -RedirectStandardError (Join-Path $TestDrive 'upstream.err')
    foreach ($attempt in 1..100) {
        try { Invoke-WebRequest "http://127.0.0.1:$upstreamPort/" -TimeoutSec 2 | Out-Null; break } catch { Start-Sleep -Milliseconds 100 }
    }

    Add-CasbApp -StorePath $store -Name $app -Upstream "http://127.0.0.1:$upstreamPort" -Hostname 'localhost', '127.0.0.1'
    New-CasbConditionalAccessPolicy -StorePath $store -Name 'Everyone via App Control' -IncludeUser All -App $app -SessionControl AppControl | Out-Null
    $gateway = Start-CasbGateway -StorePath $store -Port (Get-FreePort) -Name 'pg-scenario' -UpstreamTimeout 5
}

AfterAll {
    Get-CasbGateway -StorePath $store -ErrorAction SilentlyContinue | Stop-CasbGateway -Timeout 5 -ErrorAction SilentlyContinue
    if ($gateway) { Stop-Process -Id $gateway.ProcessId -Force -ErrorAction SilentlyContinue }
    if ($upstream) { Stop-Process -Id $upstream.Id -Force -ErrorAction SilentlyContinue }
    Stop-TestPostgres $cluster
    Remove-Item Env:CASB_STATE_DIRECTORY -ErrorAction SilentlyContinue
}

Describe 'A gateway on a PostgreSQL store' {
    It 'serves the configuration made with cmdlets in the database, recorded by name for this host' {
        (Invoke-Gateway).Status | Should -Be 200
        (Invoke-Gateway).Body | Should -Match 'Hello from the Casb sample app'
        (Get-CasbGateway -StorePath $store).Name | Should -Be 'pg-scenario'
        Test-Path (Join-Path $env:CASB_STATE_DIRECTORY 'gateways/pg-scenario.json') | Should -BeTrue
    }

    It 'enforces a policy added with a cmdlet within 2 s, as Test-CasbAccess predicts' {
        New-CasbAccessPolicy -StorePath $store -Name 'Closed for maintenance' -App $app -ClientApp Any -Action Block -BlockMessage 'Closed for maintenance.' | Out-Null
        $changed = [Diagnostics.Stopwatch]::StartNew()
        $response = $null
        while ($changed.Elapsed.TotalSeconds -lt 10) {
            $response = Invoke-Gateway
            if ($response.Status -eq 403) { break }
            Start-Sleep -Milliseconds 20
        }
        $elapsed = $changed.Elapsed
        Write-Host "PostgreSQL store: the change reached the gateway in $([int] $elapsed.TotalMilliseconds) ms"

        $response.Status | Should -Be 403
        $response.Body | Should -Match 'Closed for maintenance\.'
        $elapsed.TotalSeconds | Should -BeLessThan 2
        (Test-CasbAccess -StorePath $store -Uri "$($gateway.Url)/" -UserAgent $browser).Action | Should -Be 'Block'
    }

    It 'lets the app through again within 2 s once the policy is disabled' {
        Disable-CasbAccessPolicy -StorePath $store -Name 'Closed for maintenance'
        $changed = [Diagnostics.Stopwatch]::StartNew()
        while ($changed.Elapsed.TotalSeconds -lt 10 -and (Invoke-Gateway).Status -ne 200) { Start-Sleep -Milliseconds 20 }
        $elapsed = $changed.Elapsed
        Write-Host "PostgreSQL store: the change reached the gateway in $([int] $elapsed.TotalMilliseconds) ms"

        (Invoke-Gateway).Status | Should -Be 200
        $elapsed.TotalSeconds | Should -BeLessThan 2
    }

    It 'keeps enforcing its last good revision and says so on /readyz while the stored document is corrupt' {
        $before = Invoke-TestPostgresSql $cluster $store 'select document from casb.configuration'
        try {
            Invoke-TestPostgresSql $cluster $store "update casb.configuration set document = '{ corrupt', revision = revision + 1" | Out-Null
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            do {
                Start-Sleep -Milliseconds 100
                $ready = Invoke-WebRequest -Uri "$($gateway.Url)/readyz" -SkipCertificateCheck -SkipHttpErrorCheck
            } while ([DateTime]::UtcNow -lt $deadline -and [string] $ready.Content -notmatch 'degraded|refused')

            [string] $ready.Content | Should -Match 'refused'
            (Invoke-Gateway).Status | Should -Be 200
            { Get-CasbApp -StorePath $store } | Should -Throw -ErrorId 'StoreCorrupt,CasbModule.Cmdlets.GetCasbAppCommand'
            Invoke-TestPostgresSql $cluster $store 'select document from casb.configuration' | Should -Be '{ corrupt'
        }
        finally {
            $quoted = '$casb$' + $before + '$casb$'
            Invoke-TestPostgresSql $cluster $store "update casb.configuration set document = $quoted" | Out-Null
        }
    }
}

Describe 'Three replicas on one PostgreSQL store' {
    BeforeAll {
        $replicas = @($gateway) + @(foreach ($n in 2, 3) { Start-CasbGateway -StorePath $store -Port (Get-FreePort) -Name "pg-replica-$n" -UpstreamTimeout 5 })
        function Get-Status($Replica) {
            try { [int] (Invoke-WebRequest -Uri "$($Replica.Url)/" -SkipCertificateCheck -SkipHttpErrorCheck -UserAgent $browser -TimeoutSec 10).StatusCode }
            catch { "error: $($_.Exception.Message)" }
        }
    }

    AfterAll {
        # Each replica by its own process id: a record-based stop can miss one whose sibling was killed.
        foreach ($replica in $replicas) { Stop-Process -Id $replica.ProcessId -Force -ErrorAction SilentlyContinue }
    }

    It 'enforces a policy added with a cmdlet on all three within 2 s' {
        (Get-CasbGateway -StorePath $store).Name | Sort-Object | Should -Be @('pg-replica-2', 'pg-replica-3', 'pg-scenario')
        foreach ($replica in $replicas) { Get-Status $replica | Should -Be 200 }

        New-CasbAccessPolicy -StorePath $store -Name 'Fleet-wide block' -App $app -ClientApp Any -Action Block -BlockMessage 'Blocked everywhere.' | Out-Null
        $changed = [Diagnostics.Stopwatch]::StartNew()
        $followed = @{}
        while ($changed.Elapsed.TotalSeconds -lt 10 -and $followed.Count -lt 3) {
            foreach ($replica in $replicas) {
                if (-not $followed.ContainsKey($replica.Name) -and (Get-Status $replica) -eq 403) { $followed[$replica.Name] = $changed.Elapsed.TotalMilliseconds }
            }
            Start-Sleep -Milliseconds 20
        }
        Write-Host "PostgreSQL store, three replicas: followed after $(($followed.GetEnumerator() | Sort-Object Name | ForEach-Object { "$($_.Name) $([int] $_.Value) ms" }) -join ', ')"

        $followed.Count | Should -Be 3
        $followed.Values | ForEach-Object { $_ | Should -BeLessThan 2000 }
    }

    It 'keeps the other two answering without an error when one is killed with SIGKILL' {
        Stop-Process -Id $replicas[2].ProcessId -Force
        $answers = foreach ($i in 1..20) { foreach ($replica in $replicas[0..1]) { Get-Status $replica } }

        $answers | Where-Object { $_ -ne 403 } | Should -BeNullOrEmpty
        Disable-CasbAccessPolicy -StorePath $store -Name 'Fleet-wide block'
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ([DateTime]::UtcNow -lt $deadline -and (@($replicas[0..1] | Where-Object { (Get-Status $_) -ne 200 })).Count -gt 0) { Start-Sleep -Milliseconds 20 }
        foreach ($replica in $replicas[0..1]) { Get-Status $replica | Should -Be 200 }
    }
}

Describe 'Activity of gateways on a PostgreSQL store' {
    It 'goes to the database, where Get-CasbActivity on the store finds every replica''s records by name, and not to local files' {
        # The blocks of the policies above are kept verbatim at any activity volume.
        $blocked = $null
        foreach ($attempt in 1..50) {
            $blocked = Get-CasbActivity -StorePath $store -Action Block | Where-Object BlockMessage -eq 'Closed for maintenance.' | Select-Object -First 1
            if ($blocked) { break }
            Start-Sleep -Milliseconds 100
        }

        $blocked.Gateway | Should -Be 'pg-scenario'
        (Get-CasbActivity -StorePath $store -CorrelationId $blocked.CorrelationId).Path | Should -Be $blocked.Path
        $names = @(Get-CasbActivity -StorePath $store | ForEach-Object Gateway | Sort-Object -Unique)
        $names | Should -Contain 'pg-scenario'
        $names | ForEach-Object { $_ | Should -BeIn @('pg-scenario', 'pg-replica-2', 'pg-replica-3') }
        Invoke-TestPostgresSql $cluster $store "select count(*) > 0 from casb_activity where action = 'Block' and gateway = 'pg-scenario'" | Should -Be 't'
        @(Get-ChildItem (Join-Path $env:CASB_STATE_DIRECTORY 'activity') -Filter '*.jsonl' -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
    }
}
