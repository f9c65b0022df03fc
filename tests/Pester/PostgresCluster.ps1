# A throwaway PostgreSQL cluster for the Pester tests: initdb in a temporary folder and pg_ctl on a free loopback port,
# from Debian's postgresql package (.ci/run installs it). PostgreSQL refuses to run as root, so as root the server runs
# as the postgres user the package creates. The superuser postgres signs in with the password below over TCP.
# Dot-source it in BeforeAll; Start-TestPostgres sets PGPASSWORD for this session (child processes inherit it).
# Missing binaries fail the test with what to install: never a skip, since CI installs them.

$script:TestPostgresPassword = 'casb-test-password'

function Find-TestPostgresBin {
    $candidates = if ($env:CASB_POSTGRES_BIN) { @($env:CASB_POSTGRES_BIN) }
    elseif (Test-Path /usr/lib/postgresql) {
        Get-ChildItem /usr/lib/postgresql -Directory | Sort-Object { [int] ($_.Name -replace '\D', '0') } -Descending |
            ForEach-Object { Join-Path $_.FullName 'bin' }
    }
    else { @() }
    foreach ($candidate in $candidates) {
        if ((Test-Path (Join-Path $candidate 'initdb')) -and (Test-Path (Join-Path $candidate 'pg_ctl'))) { return $candidate }
    }
    throw "The PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/<version>/bin: install Debian's postgresql package (apt-get install postgresql; .ci/run does)."
}

function Invoke-TestPostgresTool {
    param([Parameter(Mandatory)] $Cluster, [Parameter(Mandatory)][string] $Tool, [string[]] $ArgumentList, [switch] $AsServer, [switch] $NoThrow)
    $file = Join-Path $Cluster.Bin $Tool
    $env:PGPASSWORD = $script:TestPostgresPassword
    $output = if ($AsServer -and $Cluster.AsPostgresUser) { & runuser -u postgres -- $file @ArgumentList 2>&1 } else { & $file @ArgumentList 2>&1 }
    if ($LASTEXITCODE -ne 0 -and -not $NoThrow) {
        $log = if (Test-Path $Cluster.LogFile) { Get-Content $Cluster.LogFile -Raw } else { '' }
        throw "$Tool $($ArgumentList -join ' ') failed with exit code ${LASTEXITCODE}: $($output -join "`n")`n$log"
    }
    ($output | ForEach-Object { "$_" }) -join "`n"
}

function Start-TestPostgres {
    $bin = Find-TestPostgresBin
    $folder = Join-Path ([IO.Path]::GetTempPath()) "casb-pg-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory -Path $folder | Out-Null
    $root = $IsLinux -and ((& id -u) -eq '0')
    $cluster = [pscustomobject]@{
        Bin = $bin; Folder = $folder; DataDirectory = (Join-Path $folder 'data'); LogFile = (Join-Path $folder 'server.log')
        AsPostgresUser = $root; Host = '127.0.0.1'; Port = 0; User = 'postgres'; Password = $script:TestPostgresPassword; Options = $null
    }
    try {
        $pwfile = Join-Path $folder 'pwfile'
        Set-Content -Path $pwfile -Value $script:TestPostgresPassword
        if ($root) { & chown -R 'postgres:' $folder; if ($LASTEXITCODE -ne 0) { throw "chown of $folder failed." } }
        Invoke-TestPostgresTool $cluster initdb -AsServer -ArgumentList @('-D', $cluster.DataDirectory, '-U', 'postgres', '--pwfile', $pwfile,
            '-E', 'UTF8', '--locale', 'C', '--auth-local', 'trust', '--auth-host', 'scram-sha-256', '--no-sync', '--no-instructions') | Out-Null
        [IO.File]::Delete($pwfile)
        for ($attempt = 1; ; $attempt++) {
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
            $options = "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$folder -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=100"
            try {
                Invoke-TestPostgresTool $cluster pg_ctl -AsServer -ArgumentList @('-D', $cluster.DataDirectory, '-l', $cluster.LogFile, '-o', $options, '-w', '-t', '60', 'start') | Out-Null
                $cluster.Port = $port
                $cluster.Options = $options
                break
            }
            catch {
                # Another process can take the free port between the pick and the bind.
                if ($attempt -ge 5 -or -not ((Get-Content $cluster.LogFile -Raw -ErrorAction SilentlyContinue) -match 'could not bind|could not create any TCP/IP sockets')) { throw }
            }
        }
        $env:PGPASSWORD = $script:TestPostgresPassword
        return $cluster
    }
    catch {
        Stop-TestPostgres $cluster
        throw
    }
}

# A new empty database; returns its store URI (postgresql://postgres@127.0.0.1:port/name, the password from PGPASSWORD).
function New-TestPostgresDatabase {
    param([Parameter(Mandatory)] $Cluster, [string] $Prefix = 'casb')
    $name = "$(($Prefix.ToLowerInvariant() -replace '[^a-z0-9_]', ''))_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    Invoke-TestPostgresTool $Cluster createdb -ArgumentList @('-h', $Cluster.Host, '-p', "$($Cluster.Port)", '-U', 'postgres', $name) | Out-Null
    "postgresql://postgres@$($Cluster.Host):$($Cluster.Port)/$name"
}

# Runs SQL as the superuser on a database named by its store URI or name; returns psql's unaligned output.
function Invoke-TestPostgresSql {
    param([Parameter(Mandatory)] $Cluster, [Parameter(Mandatory)][string] $Database, [Parameter(Mandatory)][string] $Sql)
    $name = ($Database -split '/')[-1]
    Invoke-TestPostgresTool $Cluster psql -ArgumentList @('-h', $Cluster.Host, '-p', "$($Cluster.Port)", '-U', 'postgres', '-d', $name, '-v', 'ON_ERROR_STOP=1', '-At', '-c', $Sql)
}

# Stops the server (CHECKPOINT first: the cluster runs with synchronous_commit=off) and keeps its data, for outage tests.
function Suspend-TestPostgres {
    param([Parameter(Mandatory)] $Cluster)
    Invoke-TestPostgresTool $Cluster psql -ArgumentList @('-h', $Cluster.Host, '-p', "$($Cluster.Port)", '-U', 'postgres', '-d', 'postgres', '-c', 'CHECKPOINT') | Out-Null
    Invoke-TestPostgresTool $Cluster pg_ctl -AsServer -ArgumentList @('-D', $Cluster.DataDirectory, '-m', 'fast', '-w', '-t', '60', 'stop') | Out-Null
}

# Starts a suspended server again on the same port.
function Resume-TestPostgres {
    param([Parameter(Mandatory)] $Cluster)
    Invoke-TestPostgresTool $Cluster pg_ctl -AsServer -ArgumentList @('-D', $Cluster.DataDirectory, '-l', $Cluster.LogFile, '-o', $Cluster.Options, '-w', '-t', '60', 'start') | Out-Null
}

function Stop-TestPostgres {
    param($Cluster)
    if (-not $Cluster) { return }
    if (Test-Path (Join-Path $Cluster.DataDirectory 'postmaster.pid')) {
        Invoke-TestPostgresTool $Cluster pg_ctl -AsServer -NoThrow -ArgumentList @('-D', $Cluster.DataDirectory, '-m', 'immediate', '-w', 'stop') | Out-Null
    }
    Remove-Item $Cluster.Folder -Recurse -Force -ErrorAction SilentlyContinue
}
