# Replicas under load on one PostgreSQL store, end to end: real gateway processes in front of the real sample app, a load
# generator spreading 300 requests/s over them round-robin (every other round with the lab client certificate), a change made
# with a cmdlet during the load, a replica killed with SIGKILL, the database stopped and started again. What is asserted
# is what a user and an admin see: each answer's status and block message, Get-CasbActivity on the store, /metrics.
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'PostgresCluster.ps1')
    . (Join-Path $PSScriptRoot 'TestIdentityProvider.ps1') # Get-FreePort (FreePort.ps1), Get-TestDotnet
    . (Join-Path $PSScriptRoot 'LoadGenerator.ps1')
    $cluster = Start-TestPostgres
    $env:CASB_STATE_DIRECTORY = Join-Path $TestDrive 'state'
    $browser = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0'
    $app = 'Contoso CRM'
    $blockMessage = 'Use a company device.'
    $lab = Join-Path $TestDrive 'lab'
    New-CasbSampleCertificate -OutputPath $lab | Out-Null
    $client = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile((Join-Path $lab 'client.pfx'), 'CasbLab!2026')

    $upstreamPort = Get-FreePort
    $gatewayDll = Join-Path (Split-Path $env:CASB_MODULE_MANIFEST) 'gateway/CasbGateway.dll'
    $upstream = Start-Process -FilePath (Get-TestDotnet) -ArgumentList $gatewayDll, 'sample-app', '--urls', "http://127.0.0.1:$upstreamPort" -PassThru `
        -RedirectStandardOutput (Join-Path $TestDrive 'upstream.log') -RedirectStandardError (Join-Path $TestDrive 'upstream.err')
    foreach ($attempt in 1..100) {
        try { Invoke-WebRequest "http://127.0.0.1:$upstreamPort/" -TimeoutSec 2 | Out-Null; break } catch { Start-Sleep -Milliseconds 100 }
    }

    # A new database with the lab PKI trusted, the app behind App Control, and one record per request (Full activity volume).
    function New-ReplicaStore([string] $Prefix) {
        $uri = New-TestPostgresDatabase $cluster -Prefix $Prefix
        Add-CasbTrustedRoot -StorePath $uri -Path (Join-Path $lab 'root-ca.pem'), (Join-Path $lab 'intermediate-ca.pem') | Out-Null
        Add-CasbCertificateRevocationList -StorePath $uri -Path (Join-Path $lab 'intermediate-ca.crl') | Out-Null
        Add-CasbApp -StorePath $uri -Name $app -Upstream "http://127.0.0.1:$upstreamPort" -Hostname 'localhost', '127.0.0.1'
        New-CasbConditionalAccessPolicy -StorePath $uri -Name 'Everyone via App Control' -IncludeUser All -App $app -SessionControl AppControl | Out-Null
        Set-CasbGatewaySetting -StorePath $uri -ActivityVolume Full
        $uri
    }

    function New-RequireCertificatePolicy([string] $Store) {
        New-CasbAccessPolicy -StorePath $Store -Name 'Require certificate' -App $app -DeviceTag 'Valid client certificate' `
            -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage $blockMessage | Out-Null
    }

    # What the configuration with the policy answers: the device with the certificate gets the app, the other the block page.
    function Test-Enforced($Answer) {
        if ($Answer.WithCertificate) { $Answer.Status -eq 200 -and -not $Answer.Blocked } else { $Answer.Status -eq 403 -and $Answer.Blocked }
    }

    function Get-Trusted([string] $Url) {
        [string] (Invoke-WebRequest -Uri $Url -SkipCertificateCheck -SkipHttpErrorCheck -TimeoutSec 10).Content
    }

    # Sums the samples of one metric in the Prometheus text of /metrics (scraped from loopback, which may read it).
    function Get-MetricSum([string] $Text, [string] $Name) {
        $sum = 0
        foreach ($match in [regex]::Matches($Text, "(?m)^$([regex]::Escape($Name))(?:\{[^}]*\})?\s+(\d+(?:\.\d+)?)")) { $sum += [double] $match.Groups[1].Value }
        $sum
    }

    function Format-Answers($Answers) {
        ($Answers | Group-Object Replica, WithCertificate, Status, Error | Sort-Object Name | ForEach-Object { "$($_.Name): $($_.Count)" }) -join '; '
    }
}

AfterAll {
    if ($upstream) { Stop-Process -Id $upstream.Id -Force -ErrorAction SilentlyContinue }
    Stop-TestPostgres $cluster
    Remove-Item Env:CASB_STATE_DIRECTORY -ErrorAction SilentlyContinue
}

Describe 'Three replicas on one PostgreSQL store under load' {
    BeforeAll {
        $store = New-ReplicaStore 'replicas'
        $names = 'replica-1', 'replica-2', 'replica-3'
        $replicas = @(foreach ($name in $names) { Start-CasbGateway -StorePath $store -Port (Get-FreePort) -Name $name -UpstreamTimeout 5 })
        $load = [CasbTestLoad]::new([string[]] $replicas.Url, $client, $browser, $blockMessage, 8, 300)
    }

    AfterAll {
        if ($load) { $load.Dispose() }
        # Each replica by its own process id: a record-based stop can miss one whose sibling was killed.
        foreach ($replica in $replicas) { Stop-Process -Id $replica.ProcessId -Force -ErrorAction SilentlyContinue }
    }

    It 'enforces a policy added with a cmdlet during the load on all three within 2 s of the cmdlet''s return' {
        $load.Start()
        Start-Sleep -Milliseconds 1500
        $calling = [CasbTestLoad]::Now
        New-RequireCertificatePolicy $store
        $returned = [CasbTestLoad]::Now
        Start-Sleep -Milliseconds 3500
        $load.Stop()
        $answers = $load.Answers
        Write-Host "Load before and after the change: $($answers.Count) requests ($(Format-Answers $answers))"

        @($answers | Where-Object Status -eq 0) | Should -BeNullOrEmpty
        @($answers | Where-Object { $_.Answered -lt $calling -and ($_.Status -ne 200 -or $_.Blocked) }) | Should -BeNullOrEmpty
        @($answers | Where-Object { $_.WithCertificate -and ($_.Status -ne 200 -or $_.Blocked) }) | Should -BeNullOrEmpty
        @($answers | Where-Object { -not $_.WithCertificate -and $_.Status -ne 200 -and -not (Test-Enforced $_) }) | Should -BeNullOrEmpty
        $followed = foreach ($replica in 0..2) {
            $mine = @($answers | Where-Object { $_.Replica -eq $replica -and -not $_.WithCertificate })
            $first = $mine | Where-Object { Test-Enforced $_ } | Sort-Object Answered | Select-Object -First 1
            $first | Should -Not -BeNullOrEmpty -Because "$($names[$replica]) must enforce the new policy"
            # Once a replica enforces the new revision it never answers from the old one again.
            @($mine | Where-Object { $_.Sent -gt $first.Answered -and -not (Test-Enforced $_) }) | Should -BeNullOrEmpty
            [pscustomobject]@{ Name = $names[$replica]; Milliseconds = [Math]::Max(0, [CasbTestLoad]::Milliseconds($returned, $first.Answered)) }
        }
        Write-Host "Under load, the policy reached $(($followed | ForEach-Object { "$($_.Name) in $([int] $_.Milliseconds) ms" }) -join ', ') after the cmdlet returned"

        $followed | ForEach-Object { $_.Milliseconds | Should -BeLessThan 2000 -Because "$($_.Name) must follow within 2 s" }
    }

    It 'costs the requests sent to the other two no errors when one is killed with kill -9 mid-load' {
        $mark = $load.Answers.Count
        $load.Start()
        Start-Sleep -Milliseconds 2000
        $killed = [CasbTestLoad]::Now
        & kill -9 $replicas[2].ProcessId
        $LASTEXITCODE | Should -Be 0
        Wait-Process -Id $replicas[2].ProcessId -Timeout 10 -ErrorAction SilentlyContinue
        Start-Sleep -Milliseconds 2500
        $load.Stop()
        $answers = @($load.Answers | Select-Object -Skip $mark)
        Write-Host "Load across the kill: $($answers.Count) requests ($(Format-Answers $answers))"

        $survivors = @($answers | Where-Object Replica -ne 2)
        $survivors.Count | Should -BeGreaterThan 100
        @($survivors | Where-Object { -not (Test-Enforced $_) }) | Should -BeNullOrEmpty
        $toKilled = @($answers | Where-Object Replica -eq 2)
        # Before the kill the third replica answered like the others; a request sent to it once it is gone fails.
        @($toKilled | Where-Object { $_.Answered -lt $killed -and -not (Test-Enforced $_) }) | Should -BeNullOrEmpty
        $afterKill = @($toKilled | Where-Object { $_.Sent -gt $killed + [Diagnostics.Stopwatch]::Frequency / 2 })
        $afterKill.Count | Should -BeGreaterThan 0
        @($afterKill | Where-Object Status -ne 0) | Should -BeNullOrEmpty
        Write-Host "Requests to the killed replica that failed: $(@($toKilled | Where-Object Status -eq 0).Count)"
    }

    It 'has Get-CasbActivity on the store return every replica''s records by name, one per request each answered' {
        $answered = @($load.Answers | Where-Object Status -ne 0)
        @($answered | Where-Object { -not $_.CorrelationId }) | Should -BeNullOrEmpty
        $expected = @{}
        foreach ($name in $names) { $expected[$name] = [Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase) }
        foreach ($answer in $answered) { $null = $expected[$names[$answer.Replica]].Add($answer.CorrelationId) }

        # The survivors' queues drain within a second or two; the loop only waits for them.
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        do {
            $records = @(Get-CasbActivity -StorePath $store)
            $byGateway = $records | Group-Object Gateway -AsHashTable -AsString
            $drained = ($names[0..1] | Where-Object { $byGateway -and $byGateway[$_] -and $byGateway[$_].Count -ge $expected[$_].Count }).Count -eq 2
            if (-not $drained) { Start-Sleep -Milliseconds 250 }
        } while (-not $drained -and [DateTime]::UtcNow -lt $deadline)
        Write-Host "Activity in the database: $(($names | ForEach-Object { "$_ $(@($byGateway[$_]).Count) of $($expected[$_].Count) answered" }) -join ', ')"

        @($records.Gateway | Sort-Object -Unique) | Should -Be $names
        foreach ($name in $names[0..1]) {
            $ids = @($byGateway[$name].CorrelationId)
            $ids.Count | Should -Be $expected[$name].Count -Because "$name wrote one record per request it answered"
            @($ids | Where-Object { -not $expected[$name].Contains($_) }) | Should -BeNullOrEmpty
            @($ids | Sort-Object -Unique).Count | Should -Be $ids.Count
        }
        # kill -9 takes the killed replica's queue with it (records not yet written are lost, uncounted): it may have
        # fewer records than answers, never more, and none it did not answer.
        $killedIds = @($byGateway[$names[2]].CorrelationId)
        $killedIds.Count | Should -BeGreaterThan 0
        $killedIds.Count | Should -BeLessOrEqual $expected[$names[2]].Count
        @($killedIds | Where-Object { -not $expected[$names[2]].Contains($_) }) | Should -BeNullOrEmpty
    }
}

Describe 'The database stopped and started again under load' {
    BeforeAll {
        $store = New-ReplicaStore 'outage'
        New-RequireCertificatePolicy $store
        $names = 'outage-1', 'outage-2'
        # Started directly for a small activity queue (100 records), so that the outage overflows it and drops are counted.
        $replicas = @(foreach ($name in $names) {
                $port = Get-FreePort
                $process = Start-Process -FilePath (Get-TestDotnet) -PassThru `
                    -ArgumentList $gatewayDll, '--store', $store, '--urls', "https://127.0.0.1:$port", '--name', $name, '--upstream-timeout', '5', '--activity-queue-capacity', '100' `
                    -RedirectStandardOutput (Join-Path $TestDrive "$name.log") -RedirectStandardError (Join-Path $TestDrive "$name.err")
                [pscustomobject]@{ Name = $name; Url = "https://127.0.0.1:$port"; ProcessId = $process.Id }
            })
        foreach ($replica in $replicas) {
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ([DateTime]::UtcNow -lt $deadline) {
                try { if ((Get-Trusted "$($replica.Url)/readyz") -match '^Ready') { break } } catch { }
                Start-Sleep -Milliseconds 200
            }
        }
        $load = [CasbTestLoad]::new([string[]] $replicas.Url, $client, $browser, $blockMessage, 8, 300)
    }

    AfterAll {
        if ($load) { $load.Dispose() }
        foreach ($replica in $replicas) { Stop-Process -Id $replica.ProcessId -Force -ErrorAction SilentlyContinue }
    }

    It 'keeps enforcing the last good configuration, counts every record it could not keep, and writes none twice' {
        foreach ($replica in $replicas) { Get-Trusted "$($replica.Url)/readyz" | Should -Match '^Ready: revision' }
        $load.Start()
        Start-Sleep -Milliseconds 1500
        Suspend-TestPostgres $cluster
        $down = [CasbTestLoad]::Now
        # Both halves say so: the configuration (the last good revision serves; noticed at once, when the LISTEN
        # connection drops) and the activity sink (records wait).
        $pattern = "^Ready: revision \d+ .*; degraded: cannot read the store .*activity sink 'postgresql' failing"
        $degraded = @{}
        $deadline = [DateTime]::UtcNow.AddSeconds(6)
        while ($degraded.Count -lt $replicas.Count -and [DateTime]::UtcNow -lt $deadline) {
            foreach ($replica in $replicas) {
                $ready = Get-Trusted "$($replica.Url)/readyz"
                if ($ready -match $pattern) { $degraded[$replica.Name] = $ready }
            }
            Start-Sleep -Milliseconds 100
        }
        while ([CasbTestLoad]::Milliseconds($down, [CasbTestLoad]::Now) -lt 3500) { Start-Sleep -Milliseconds 100 }
        Resume-TestPostgres $cluster
        $up = [CasbTestLoad]::Now
        Start-Sleep -Milliseconds 3000
        $load.Stop()
        $answers = $load.Answers
        Write-Host "Load across the outage ($([int] [CasbTestLoad]::Milliseconds($down, $up)) ms): $($answers.Count) requests ($(Format-Answers $answers))"

        $degraded.Count | Should -Be $replicas.Count -Because "each replica's /readyz must say it is degraded and why (last: $ready)"
        @($answers | Where-Object { $_.Sent -gt $down -and $_.Answered -lt $up }).Count | Should -BeGreaterThan 100
        @($answers | Where-Object { -not (Test-Enforced $_) }) | Should -BeNullOrEmpty

        # Once the queues have drained: every answered request is a row of its replica or counted as dropped, none twice.
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do {
            Start-Sleep -Milliseconds 250
            $metrics = foreach ($replica in $replicas) { Get-Trusted "$($replica.Url)/metrics" }
            $settled = @($metrics | Where-Object { (Get-MetricSum $_ 'casb_gateway_activity_queued') -ne 0 -or (Get-MetricSum $_ 'casb_gateway_activity_failing') -ne 0 }).Count -eq 0
        } while (-not $settled -and [DateTime]::UtcNow -lt $deadline)
        $settled | Should -BeTrue -Because 'the activity sinks recover by themselves when the database is back'

        $rows = @{}
        foreach ($line in (Invoke-TestPostgresSql $cluster $store 'select gateway, count(*), count(distinct correlation_id) from casb_activity group by gateway') -split "`n") {
            $gateway, $count, $distinct = $line -split '\|'
            $rows[$gateway] = [pscustomobject]@{ Count = [int] $count; Distinct = [int] $distinct }
        }
        $droppedTotal = 0
        foreach ($i in 0..1) {
            $answered = @($answers | Where-Object Replica -eq $i).Count
            $dropped = Get-MetricSum $metrics[$i] 'casb_gateway_activity_dropped_total'
            $droppedTotal += $dropped
            Write-Host "$($names[$i]): answered $answered, in the database $($rows[$names[$i]].Count), dropped $dropped"

            $rows[$names[$i]].Distinct | Should -Be $rows[$names[$i]].Count -Because 'no record is written twice'
            $rows[$names[$i]].Count + $dropped | Should -Be $answered -Because "every request $($names[$i]) answered is in the database or counted as dropped"
        }
        $droppedTotal | Should -BeGreaterThan 0 -Because 'the outage overflowed a 100-record queue, so the count was exercised'
    }

    It 'follows a change made after the database came back within 2 s' {
        Disable-CasbAccessPolicy -StorePath $store -Name 'Require certificate'
        $changed = [Diagnostics.Stopwatch]::StartNew()
        $followed = @{}
        while ($changed.Elapsed.TotalSeconds -lt 10 -and $followed.Count -lt 2) {
            foreach ($replica in $replicas) {
                if (-not $followed.ContainsKey($replica.Name) -and
                    [int] (Invoke-WebRequest -Uri "$($replica.Url)/" -SkipCertificateCheck -SkipHttpErrorCheck -UserAgent $browser -TimeoutSec 10).StatusCode -eq 200) {
                    $followed[$replica.Name] = $changed.Elapsed.TotalMilliseconds
                }
            }
            Start-Sleep -Milliseconds 20
        }
        Write-Host "After the outage, the change reached $(($followed.GetEnumerator() | Sort-Object Name | ForEach-Object { "$($_.Name) in $([int] $_.Value) ms" }) -join ', ')"

        $followed.Count | Should -Be 2
        $followed.Values | ForEach-Object { $_ | Should -BeLessThan 2000 }
        foreach ($replica in $replicas) { Get-Trusted "$($replica.Url)/readyz" | Should -Not -Match 'degraded' }
    }
}
