# deploy/container/Dockerfile without a container runtime (none here, and no base-image registry): its publish step, read
# from the Dockerfile and run with the same arguments, must produce a gateway that starts the way the image and the
# Kubernetes Deployment start it (the ENTRYPOINT, the Dockerfile's ENV, a PostgreSQL store URI, --urls, --name) and
# answers /healthz and /readyz. What it cannot show: that the base images, COPY lines and USER work; build the image once.
BeforeAll {
    . (Join-Path $PSScriptRoot 'PostgresCluster.ps1')
    . (Join-Path $PSScriptRoot 'TestIdentityProvider.ps1') # Get-FreePort (FreePort.ps1), Get-TestDotnet
    $root = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
    $dockerfile = Join-Path $root 'deploy/container/Dockerfile'
    # The Dockerfile's instructions, continuation lines joined and comments dropped.
    $instructions = ((Get-Content $dockerfile | Where-Object { $_ -notmatch '^\s*#' }) -join "`n") -replace '\\\n\s*', ' ' -split "`n" |
        Where-Object { $_.Trim() }
    $cluster = Start-TestPostgres
}

AfterAll {
    if ($gateway -and -not $gateway.HasExited) { Stop-Process -Id $gateway.Id -Force -ErrorAction SilentlyContinue }
    Stop-TestPostgres $cluster
}

Describe 'The container image''s gateway (deploy/container/Dockerfile)' {
    It 'publishes with the Dockerfile''s own commands into a gateway that starts as the image does and answers /healthz and /readyz' {
        $restore = @($instructions | Where-Object { $_ -match '^RUN dotnet restore ' })
        $publish = @($instructions | Where-Object { $_ -match '^RUN dotnet publish ' })
        $restore.Count | Should -Be 1
        $publish.Count | Should -Be 1
        $publish[0] | Should -Match ' -o /out '
        $entrypoint = ($instructions | Where-Object { $_ -match '^ENTRYPOINT ' }) -replace '^ENTRYPOINT ', '' | ConvertFrom-Json
        $entrypoint | Should -Be @('dotnet', '/opt/casb/gateway/CasbGateway.dll')
        (@($instructions | Where-Object { $_ -match '^COPY --from=build /out /opt/casb/gateway$' })).Count | Should -Be 1
        (@($instructions | Where-Object { $_ -match '^USER 10001:10001$' })).Count | Should -Be 1

        # The same commands in the same folder layout (the build stage's WORKDIR is the repository root), output moved here.
        $out = Join-Path $TestDrive 'opt/casb/gateway'
        Push-Location $root
        try {
            $log = & (Get-TestDotnet) @(($restore[0] -replace '^RUN dotnet ', '') -split ' ') 2>&1 | Out-String
            $LASTEXITCODE | Should -Be 0 -Because $log
            $log = & (Get-TestDotnet) @((($publish[0] -replace '^RUN dotnet ', '') -replace ' -o /out ', " -o $out ") -split ' ') 2>&1 | Out-String
            $LASTEXITCODE | Should -Be 0 -Because $log
        }
        finally { Pop-Location }

        # The image's environment, its folders moved under the test drive.
        $state = Join-Path $TestDrive 'var/lib/casb'
        New-Item -ItemType Directory -Path $state | Out-Null
        $environment = @{}
        foreach ($line in $instructions | Where-Object { $_ -match '^ENV ' }) {
            foreach ($pair in [regex]::Matches($line, '(\w+)=(\S*)')) {
                $environment[$pair.Groups[1].Value] = $pair.Groups[2].Value -replace '^/var/lib/casb', $state
            }
        }
        $environment['CASB_STATE_DIRECTORY'] | Should -Be $state

        $store = New-TestPostgresDatabase $cluster -Prefix 'container'
        $port = Get-FreePort
        $saved = @{}
        foreach ($name in $environment.Keys) {
            $saved[$name] = [Environment]::GetEnvironmentVariable($name)
            [Environment]::SetEnvironmentVariable($name, $(if ($environment[$name]) { $environment[$name] } else { $null }))
        }
        try {
            $script:gateway = Start-Process -FilePath (Get-TestDotnet) -PassThru `
                -ArgumentList (Join-Path $out 'CasbGateway.dll'), '--store', $store, '--urls', "https://127.0.0.1:$port", '--name', 'container-0' `
                -RedirectStandardOutput (Join-Path $TestDrive 'gateway.log') -RedirectStandardError (Join-Path $TestDrive 'gateway.err')
        }
        finally {
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        }

        $health = $null
        foreach ($attempt in 1..150) {
            if ($gateway.HasExited) { break }
            try { $health = Invoke-WebRequest "https://127.0.0.1:$port/healthz" -SkipCertificateCheck -TimeoutSec 2; break } catch { Start-Sleep -Milliseconds 200 }
        }

        $because = "the gateway's stderr: $(Get-Content (Join-Path $TestDrive 'gateway.err') -Raw)"
        $gateway.HasExited | Should -BeFalse -Because $because
        $health.StatusCode | Should -Be 200
        $health.Content | Should -Match 'Healthy'
        (Invoke-WebRequest "https://127.0.0.1:$port/readyz" -SkipCertificateCheck -TimeoutSec 5).StatusCode | Should -Be 200
        # On the store: its shared self-signed certificate was made there, not in a file of the image.
        Invoke-TestPostgresSql $cluster $store "select count(*) from casb.blobs where name = 'gateway/server.pfx'" | Should -Be '1'
        Get-Content (Join-Path $TestDrive 'gateway.err') -Raw | Should -BeNullOrEmpty
    }
}
