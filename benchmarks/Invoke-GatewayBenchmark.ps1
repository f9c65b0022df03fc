#Requires -Version 7.4
<#
.SYNOPSIS
    The gateway side by side with nginx ssl_verify_client, a bare Kestrel + YARP forwarder and the upstream alone.
.DESCRIPTION
    Everything on 127.0.0.1, in one run, each target measured in interleaved rounds (A B C D E A B C D E ...):
      upstream   the small static upstream alone (nginx serving one file, plain HTTP): the ceiling;
      nginx      nginx with ssl_verify_client on, the lab CA bundle and CRLs, proxying to the upstream with
                 upstream keep-alive: the anchor every figure is divided by;
      bare       Kestrel + YARP IHttpForwarder with the gateway's TLS settings, no engine: our floor;
      gw-100     the built gateway (out/CasbModule/gateway) on a store made with the module's cmdlets: the seed's
                 policies plus 100 more enabled access policies;
      gw-1000    the same with 1,000 more;
      gw-100-summary  gw-100 at the product's default activity volume (Summary: repeated allowed requests of one
                 user, app and device counted into one record per minute); the others record every request (Full)
                 unless -ActivityVolume Summary is given, which makes every gateway target record Summary;
      gw-100-pg  (on request) gw-100 with its activity in PostgreSQL (--activity-database): a throwaway cluster
                 started as the tests start one (tests/Pester/PostgresCluster.ps1; Debian's postgresql is installed
                 when missing), the same store and policies; its records are counted in the table. Run it against
                 gw-100 (-Targets gw-100,gw-100-pg) for the file-vs-PostgreSQL ratios, written between the markers
                 pg-activity-bench (-Section).
    Gateway target names are gw-<policies>[-summary][-pg][-variant] (e.g. gw-100-summary-pg: Summary activity in
    PostgreSQL). A Full target is checked after every run (each completed request has its record); a Summary target
    at the end, once its gateway has stopped and written its open minutes (the records and the counts the Summary
    records carry add up to the requests counted at /metrics).
    -Figures picks the figures (h1, h2, hs, hs13, mem); -VariantEnvironment / -VariantGateway add <-VariantOf>-variant.
    Before the rounds, each .NET target is loaded until its tiered compilation is quiet (at most 90 s, 30 s with
    -Quick), so the rounds measure requests, not start-up.
    Per target: keep-alive mTLS requests/s and p50/p99 over HTTP/1.1 (ab -k -E) and HTTP/2 (h2load through haproxy,
    which presents the client certificate: neither h2load nor wrk can), new mTLS handshakes/s (openssl s_time -new
    -cert) over TLS 1.2 and over TLS 1.3 (what s_time and browsers negotiate by default), and RSS idle, at 1,000 keep-alive connections and after they close.
    Every gateway request is decided for real: the activity records and the request counter are checked against
    the clients' counts, and a request without a certificate must get the block page.
    Prints one table and writes it into docs/benchmarks.md.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Bench
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Bench -Quick
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $ModuleManifest,
    [Parameter(Mandatory)][string] $BareForwarder,
    # A 1-2 minute run: one round of 2 seconds per figure.
    [switch] $Quick,
    [int] $Rounds = 3,
    [int] $Seconds = 8,
    [int] $HandshakeSeconds = 5,
    [int] $Connections = 50,
    [int] $IdleConnections = 1000,
    # Seconds after the 1,000 connections close before RSS is read again.
    [int] $SettleSeconds = 10,
    # Where the table goes (a section between markers is replaced); empty: print only.
    [string] $DocumentPath,
    # Extra environment for the gateway processes (e.g. @{ DOTNET_gcServer = '1' }) to try a setting without a rebuild.
    [hashtable] $GatewayEnvironment = @{},
    # A/B a runtime setting without a rebuild: adds the target <-VariantOf>-variant (e.g. gw-100-variant: its own store,
    # the same policies and activity volume as -VariantOf), interleaved with the others, whose gateway also gets this
    # environment (e.g. @{ DOTNET_gcServer = '0' }).
    [hashtable] $VariantEnvironment = @{},
    # A/B a code change: adds <-VariantOf>-variant run by this CasbGateway.dll (e.g. a copy of out/CasbModule/gateway
    # built from another commit), interleaved with the others; combines with -VariantEnvironment. A target named
    # gw-...-variant in -Targets (e.g. gw-100-pg-variant) is the variant instead.
    [string] $VariantGateway,
    # Which gateway target the variant copies (its store: policies, activity volume and sink): gw-<n>[-summary][-pg].
    [string] $VariantOf = 'gw-100',
    # A/B runs: HTTP/1.1 rounds only (requests/s, latency, CPU per request), no HTTP/2, handshakes or memory figures.
    [switch] $ThroughputOnly,
    # The figures to take: h1 (HTTP/1.1), h2 (HTTP/2), hs (new handshakes, TLS 1.2), hs13 (new handshakes, TLS 1.3),
    # mem (RSS at 1,000 connections).
    [string[]] $Figures = @('h1', 'h2', 'hs', 'hs13', 'mem'),
    [string[]] $Targets = @('upstream', 'nginx', 'bare', 'gw-100', 'gw-100-summary', 'gw-1000'),
    # What every gateway target keeps (Set-CasbGatewaySetting -ActivityVolume): Full, one record per request, is the
    # most logging work and lets every run be checked record by record; Summary (the product's default) is checked at
    # the end, when the stopped gateways have written their Summary records (the counts they carry add up to the
    # requests). A target named gw-<n>-summary records Summary either way.
    [ValidateSet('Full', 'Summary')][string] $ActivityVolume = 'Full',
    # The markers in -DocumentPath the section goes between (<!-- <Section>:begin ... <!-- <Section>:end -->).
    [string] $Section = 'gateway-bench',
    [switch] $KeepFiles
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$ProgressPreference = 'SilentlyContinue'
$PSStyle.OutputRendering = 'PlainText'
$ModuleManifest = (Resolve-Path $ModuleManifest).Path
$BareForwarder = (Resolve-Path $BareForwarder).Path
$Targets = @($Targets -split ',' | ForEach-Object Trim | Where-Object { $_ })
# Lists arrive as one comma-separated string when the script is run with -File.
$Figures = @($Figures -split ',' | ForEach-Object Trim | Where-Object { $_ })
# Every figure, in the order of the default run; the handshake figures by the protocol s_time forces.
$allFigures = @('h1', 'h2', 'hs', 'hs13', 'mem')
$handshakeProtocols = [ordered]@{ hs = 'tls1_2'; hs13 = 'tls1_3' }
foreach ($f in $Figures) { if ($f -notin $allFigures) { throw "-Figures: '$f' is not one of $($allFigures -join ', ')." } }
if ($VariantOf -notmatch '^gw-\d+(-summary)?(-pg)?$') { throw "-VariantOf: '$VariantOf' is not a gateway target (gw-<policies>[-summary][-pg])." }
if (($VariantEnvironment.Count -gt 0 -or $VariantGateway) -and -not ($Targets -like '*-variant')) { $Targets += "$VariantOf-variant" }
if ($ThroughputOnly) { $Figures = @('h1') }
if ($VariantGateway) { $VariantGateway = (Resolve-Path $VariantGateway).Path }
foreach ($t in $Targets) {
    if ($t -notin 'upstream', 'nginx', 'bare' -and $t -notmatch '^gw-\d+(-summary)?(-pg)?(-variant)?$') {
        throw "Unknown target '$t': upstream, nginx, bare, gw-<policies>[-summary][-pg][-variant]."
    }
}
$postgresTargets = @($Targets | Where-Object { $_ -match '-pg(-variant)?$' })

if ($Quick) {
    if (-not $PSBoundParameters.ContainsKey('Rounds')) { $Rounds = 1 }
    if (-not $PSBoundParameters.ContainsKey('Seconds')) { $Seconds = 2 }
    if (-not $PSBoundParameters.ContainsKey('HandshakeSeconds')) { $HandshakeSeconds = 2 }
    if (-not $PSBoundParameters.ContainsKey('SettleSeconds')) { $SettleSeconds = 3 }
}

$Edge = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
$LabPassword = 'CasbLab!2026'
$AppName = 'Microsoft Online Services'
$started = Get-Date

#region tools
function Install-BenchTools {
    $needed = [ordered]@{ nginx = 'nginx-light'; ab = 'apache2-utils'; haproxy = 'haproxy'; h2load = 'nghttp2-client'; openssl = 'openssl'; wc = 'coreutils' }
    $missing = @($needed.Keys | Where-Object { -not (Get-Command $_ -ErrorAction SilentlyContinue) } | ForEach-Object { $needed[$_] })
    if ($postgresTargets.Count -gt 0) {
        try { Find-TestPostgresBin | Out-Null } catch { $missing += 'postgresql' }
    }
    if ($missing.Count -eq 0) { return }
    if ((& id -u) -ne '0' -or -not (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        throw "The benchmark needs $($missing -join ', ') (Debian packages); install them or run as root on Debian."
    }
    Write-Host "==> apt-get install $($missing -join ' ')"
    $env:DEBIAN_FRONTEND = 'noninteractive'
    & apt-get -o DPkg::Lock::Timeout=600 update -qq | Out-Null
    & apt-get -o DPkg::Lock::Timeout=600 install -y -qq @missing | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "apt-get install $($missing -join ' ') failed ($LASTEXITCODE)." }
}

function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    try { $listener.Start(); return $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Get-Dotnet {
    if ($env:DOTNET_HOST_PATH -and (Test-Path $env:DOTNET_HOST_PATH)) { return $env:DOTNET_HOST_PATH }
    $self = (Get-Process -Id $PID).Path
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { return $self }
    return 'dotnet'
}

# Runs a native client with a raised open-files limit (1,000 connections) and returns its output lines.
function Invoke-Client {
    param([string[]] $Command, [switch] $AllowFailure)
    $output = & bash -c 'ulimit -n 16384; exec "$@"' bash @Command 2>&1 | ForEach-Object { "$_" }
    if ($LASTEXITCODE -ne 0 -and -not $AllowFailure) {
        throw "$($Command -join ' ') failed ($LASTEXITCODE): $($output | Select-Object -Last 5 | Out-String)"
    }
    return $output
}

function Wait-Port([int] $Port, [System.Diagnostics.Process] $Process, [string] $Log) {
    foreach ($attempt in 1..300) {
        if ($Process.HasExited) { throw "Process $($Process.Id) exited early: $(Get-Content $Log -Raw -ErrorAction SilentlyContinue)" }
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect([System.Net.IPAddress]::Loopback, $Port); return } catch { Start-Sleep -Milliseconds 100 } finally { $client.Dispose() }
    }
    throw "Nothing listens on 127.0.0.1:$Port after 30 s ($Log)."
}

function Start-Target {
    param([string] $FilePath, [string[]] $ArgumentList, [string] $Name, [hashtable] $Environment = @{})
    $log = Join-Path $work "$Name.log"
    # bash execs the target (same process id) with its output in a file and a raised open-files limit.
    $info = [System.Diagnostics.ProcessStartInfo]::new('bash')
    foreach ($a in @('-c', 'ulimit -n 16384; exec "$@" >>"$CASB_BENCH_LOG" 2>&1', 'bash', $FilePath) + $ArgumentList) { $info.ArgumentList.Add($a) }
    $info.Environment['CASB_BENCH_LOG'] = $log
    foreach ($k in $Environment.Keys) { $info.Environment[$k] = [string] $Environment[$k] }
    $process = [System.Diagnostics.Process]::Start($info)
    $script:processes.Add($process)
    return [pscustomobject]@{ Process = $process; Log = $log }
}

function Stop-Target([System.Diagnostics.Process] $Process) {
    if ($Process.HasExited) { return }
    # SIGTERM: nginx's master then stops its own workers; Kestrel shuts down gracefully.
    & kill -TERM $Process.Id 2>$null
    if (-not $Process.WaitForExit(15000)) { $Process.Kill($true) }
}

# RSS of a process and its children (nginx: master + workers), in MB; and its thread count.
function Get-TreeMemory([int] $ProcessId) {
    $rssKb = 0; $threads = 0
    $queue = [System.Collections.Generic.Queue[int]]::new(); $queue.Enqueue($ProcessId)
    while ($queue.Count -gt 0) {
        $p = $queue.Dequeue()
        $status = Get-Content "/proc/$p/status" -ErrorAction SilentlyContinue
        if (-not $status) { continue }
        foreach ($line in $status) {
            if ($line -match '^VmRSS:\s+(\d+)') { $rssKb += [long] $Matches[1] }
            elseif ($line -match '^Threads:\s+(\d+)') { $threads += [int] $Matches[1] }
        }
        foreach ($task in Get-ChildItem "/proc/$p/task" -ErrorAction SilentlyContinue) {
            $children = Get-Content (Join-Path $task.FullName 'children') -Raw -ErrorAction SilentlyContinue
            if ($children) { foreach ($c in $children.Trim() -split '\s+') { if ($c) { $queue.Enqueue([int] $c) } } }
        }
    }
    [pscustomobject]@{ RssMB = [math]::Round($rssKb / 1024, 1); Threads = $threads }
}
# CPU time (user + system) of a process and its children, in seconds: per request it is the one figure a busy,
# shared machine does not distort much.
function Get-TreeCpuSeconds([int] $ProcessId) {
    $ticks = 0
    $queue = [System.Collections.Generic.Queue[int]]::new(); $queue.Enqueue($ProcessId)
    while ($queue.Count -gt 0) {
        $p = $queue.Dequeue()
        $stat = Get-Content "/proc/$p/stat" -Raw -ErrorAction SilentlyContinue
        if (-not $stat) { continue }
        $fields = $stat.Substring($stat.LastIndexOf(')') + 2) -split ' '
        $ticks += [long] $fields[11] + [long] $fields[12]
        foreach ($task in Get-ChildItem "/proc/$p/task" -ErrorAction SilentlyContinue) {
            $children = Get-Content (Join-Path $task.FullName 'children') -Raw -ErrorAction SilentlyContinue
            if ($children) { foreach ($c in $children.Trim() -split '\s+') { if ($c) { $queue.Enqueue([int] $c) } } }
        }
    }
    return $ticks / 100.0
}

# CPU time of a .NET process's tiered-compilation thread, in seconds: while it grows, the process is still compiling
# (start-up), and its requests pay for it.
function Get-JitCpuSeconds([int] $ProcessId) {
    $ticks = 0
    foreach ($task in Get-ChildItem "/proc/$ProcessId/task" -ErrorAction SilentlyContinue) {
        $comm = Get-Content (Join-Path $task.FullName 'comm') -Raw -ErrorAction SilentlyContinue
        if (-not $comm -or -not $comm.StartsWith('.NET Tiered Com')) { continue }
        $stat = Get-Content (Join-Path $task.FullName 'stat') -Raw -ErrorAction SilentlyContinue
        if (-not $stat) { continue }
        $fields = $stat.Substring($stat.LastIndexOf(')') + 2) -split ' '
        $ticks += [long] $fields[11] + [long] $fields[12]
    }
    return $ticks / 100.0
}
#endregion

#region setup
function New-LabFiles {
    Write-Host "==> Lab certificates and server certificate in $work"
    New-CasbSampleCertificate -OutputPath $lab | Out-Null
    $pass = "pass:$LabPassword"
    # ab -E and haproxy's crt take the client's certificate and key in one PEM.
    Invoke-Client @('openssl', 'pkcs12', '-in', (Join-Path $lab 'client.pfx'), '-passin', $pass, '-clcerts', '-nodes', '-out', $clientPem) | Out-Null
    # One server certificate (the lab's gateway.pfx, RSA 2048) for nginx, the bare forwarder and the gateway.
    Invoke-Client @('openssl', 'pkcs12', '-in', (Join-Path $lab 'gateway.pfx'), '-passin', $pass, '-clcerts', '-nokeys', '-out', $serverCrt) | Out-Null
    Invoke-Client @('openssl', 'pkcs12', '-in', (Join-Path $lab 'gateway.pfx'), '-passin', $pass, '-nocerts', '-nodes', '-out', $serverKey) | Out-Null
    Set-Content $caBundle -Value ((Get-Content (Join-Path $lab 'root-ca.pem') -Raw) + (Get-Content (Join-Path $lab 'intermediate-ca.pem') -Raw)) -NoNewline
    Set-Content $crlBundle -Value ((Get-Content (Join-Path $lab 'root-ca.crl') -Raw) + (Get-Content (Join-Path $lab 'intermediate-ca.crl') -Raw)) -NoNewline
    New-Item -ItemType Directory (Join-Path $work 'www') | Out-Null
    # The upstream's one page: small, static, the same for every target.
    Set-Content (Join-Path $work 'www/index.html') -Value ("<!DOCTYPE html><html><head><title>upstream</title></head><body><h1>Hello from the upstream</h1><p>" + ('x' * 120) + "</p></body></html>") -NoNewline
}

function New-GatewayStore([string] $Store, [int] $ExtraPolicies, [string] $ActivityVolume = 'Full') {
    Write-Host "==> Store with the seed's policies + $ExtraPolicies access policies, activity volume ${ActivityVolume}: $Store"
    Add-CasbTrustedRoot -StorePath $Store -Path (Join-Path $lab 'root-ca.pem'), (Join-Path $lab 'intermediate-ca.pem') | Out-Null
    Add-CasbCertificateRevocationList -StorePath $Store -Path (Join-Path $lab 'intermediate-ca.crl'), (Join-Path $lab 'root-ca.crl') | Out-Null
    Add-CasbApp -StorePath $Store -Name $AppName -Upstream "http://127.0.0.1:$upstreamPort" -Hostname 'localhost', '127.0.0.1'
    New-CasbConditionalAccessPolicy -StorePath $Store -Name 'Vendors via App Control' -IncludeUser All -App $AppName -SessionControl AppControl | Out-Null
    New-CasbAccessPolicy -StorePath $Store -Name 'Require certificate' -App $AppName -DeviceTag 'Valid client certificate' `
        -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.' | Out-Null
    # Full: one activity record per request, the most logging work, and the runs below check every request against its
    # own record. Summary (the product's default; targets gw-<n>-summary, or all with -ActivityVolume Summary) folds
    # repeated allowed requests into one record per minute; its check is at the end (Test-Summaries).
    Set-CasbGatewaySetting -StorePath $Store -ActivityVolume $ActivityVolume | Out-Null
    foreach ($g in 0..19) {
        New-CasbGroup -StorePath $Store -Name "Group $g" -Member (0..49 | ForEach-Object { "user$($g * 7 + $_)@contoso.com" }) | Out-Null
    }
    foreach ($a in 0..9) {
        Add-CasbApp -StorePath $Store -Name "Other app $a" -Upstream "http://127.0.0.1:$upstreamPort" -Hostname "app$a.contoso.local"
    }

    # The extra policies go in through Export/Import (one validated write instead of one per policy). Enabled, a
    # realistic mix of filters and actions, half on the benchmarked app and half on all apps; none matches the
    # benchmark's request (a valid certificate, Edge, 127.0.0.1): the engine's index passes most of them by, and the answer stays Allow.
    # tests/Unit/Policies/NetworkBenchmarkConfiguration.cs builds the same store for PolicyCountGuardTests: keep the two in step.
    $file = Join-Path $work "policies-$(Split-Path $Store -Leaf).json"
    Export-CasbConfiguration -StorePath $Store -Path $file
    $configuration = Get-Content $file -Raw | ConvertFrom-Json -AsHashtable
    $policies = [System.Collections.Generic.List[object]]::new()
    foreach ($p in 0..($ExtraPolicies - 1)) {
        $policy = [ordered]@{
            name = 'Policy {0:D4}' -f $p
            action = if ($p % 3 -eq 0) { 'Block' } else { 'Test' }
            blockMessage = if ($p % 3 -eq 0) { "Blocked by policy $p." } else { $null }
            apps = [string[]] @()
            deviceTags = @(); deviceTagOperator = 'Equals'; users = @(); groups = @(); excludeUsers = @(); excludeGroups = @()
            clientApp = if ($p % 5 -eq 0) { 'Any' } else { 'Browser' }
            ipRanges = @(); ipRangeOperator = 'In'; userAgentContains = @()
            severity = @('Low', 'Medium', 'High')[$p % 3]
            enabled = $true
        }
        switch ($p % 6) {
            0 { $policy.deviceTags = @('Valid client certificate'); $policy.deviceTagOperator = 'DoesNotEqual' }
            1 { $policy.groups = @("Group $($p % 20)"); $policy.excludeUsers = @('user3@contoso.com') }
            2 { $policy.ipRanges = @('10.0.0.0/8', '172.16.0.0/12', '2001:db8:1::/48') }
            3 { $policy.userAgentContains = @('Firefox', 'curl') }
            4 { $policy.users = @("user$($p % 200)@contoso.com", "user$(($p + 1) % 200)@contoso.com") }
            default { $policy.excludeGroups = @("Group $($p % 20)"); $policy.ipRanges = @("198.51.$($p % 256).0/24") }
        }
        if ($p % 2 -eq 0) { $policy.apps = [string[]] @($AppName) }
        if ($null -eq $policy.blockMessage) { $policy.Remove('blockMessage') }
        $policies.Add($policy)
    }
    $configuration['accessPolicies'] = @($configuration['accessPolicies']) + $policies
    $configuration | ConvertTo-Json -Depth 10 | Set-Content $file
    Import-CasbConfiguration -StorePath $Store -Path $file
    $count = @(Get-CasbAccessPolicy -StorePath $Store).Count
    if ($count -ne $ExtraPolicies + 1) { throw "The store has $count access policies, expected $($ExtraPolicies + 1)." }
}

function Write-NginxConfigs {
    $user = if ((& id -u) -eq '0') { 'user root;' } else { '' }
    $common = @"
$user
worker_processes auto;
worker_rlimit_nofile 16384;
pid {0}.pid;
error_log {0}.error.log warn;
events {{ worker_connections 8192; }}
"@
    $temp = "client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp; uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;"
    New-Item -ItemType Directory (Join-Path $work 'tmp') | Out-Null
    Set-Content (Join-Path $work 'upstream.conf') -Value (($common -f (Join-Path $work 'upstream')) + @"
http {
    $temp
    access_log off;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$upstreamPort;
        listen 127.0.0.1:$upstreamH2Port http2;
        root $work/www;
        location / { index index.html; try_files /index.html =404; }
    }
}
"@)
    # The anchor: what a new user would write for mTLS in front of an app, access log on (the gateway logs every
    # request too), upstream keep-alive.
    Set-Content (Join-Path $work 'nginx.conf') -Value (($common -f (Join-Path $work 'nginx')) + @"
http {
    $temp
    access_log $work/nginx.access.log;
    keepalive_requests 1000000;
    upstream app { server 127.0.0.1:$upstreamPort; keepalive 64; }
    server {
        listen 127.0.0.1:$($ports['nginx']) ssl http2;
        ssl_certificate $serverCrt;
        ssl_certificate_key $serverKey;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_verify_client on;
        ssl_verify_depth 3;
        ssl_client_certificate $caBundle;
        ssl_crl $crlBundle;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host `$host;
            proxy_set_header X-Forwarded-For `$remote_addr;
        }
    }
}
"@)
}

function Write-HaproxyConfig {
    # haproxy is the HTTP/2 client's TLS end: h2load speaks cleartext HTTP/2 to it, it speaks HTTP/2 over mTLS to
    # the target, presenting the lab client certificate. One thread, so it takes at most one core from the target.
    $lines = @(
        'global', '    maxconn 4000', '    nbthread 1', '    tune.ssl.default-dh-param 2048',
        'defaults', '    mode http', '    timeout connect 5s', '    timeout client 60s', '    timeout server 60s', '    http-reuse always'
    )
    foreach ($t in $Targets) {
        $lines += "frontend fe_$t", "    bind 127.0.0.1:$($h2Ports[$t]) proto h2", "    default_backend be_$t", "backend be_$t"
        $lines += if ($t -eq 'upstream') {
            "    server s 127.0.0.1:$upstreamH2Port proto h2"
        }
        else {
            # h2load speaks cleartext, so haproxy would forward :scheme http over TLS, which Kestrel rightly
            # refuses (PROTOCOL_ERROR): the absolute https URI makes the scheme match the connection.
            # "proto h2" next to "alpn h2": haproxy knows the protocol before the handshake ends, so the 50 streams
            # share one connection from the first. With "alpn h2" alone every stream that arrived before the first
            # handshake finished opened a connection of its own, and a run got 1 to 50 (2-3 after idle ones were
            # purged) by timing, for nginx as for Kestrel: a different benchmark each run (docs/benchmarks.md,
            # eighth pass).
            '    http-request set-uri https://%[req.hdr(host)]%[pathq]'
            "    server s 127.0.0.1:$($ports[$t]) ssl crt $clientPem verify none alpn h2 proto h2 sni str(localhost)"
        }
    }
    Set-Content (Join-Path $work 'haproxy.cfg') -Value ($lines -join "`n")
}
#endregion

#region measurements
function Get-Url([string] $Target) {
    if ($Target -eq 'upstream') { return "http://127.0.0.1:$upstreamPort/" }
    return "https://127.0.0.1:$($ports[$Target])/"
}

function Get-ActivityCount([string] $Target) {
    if (-not $stores.ContainsKey($Target)) { return $null }
    if ($databases.ContainsKey($Target)) {
        return [long] (Invoke-TestPostgresSql -Cluster $cluster -Database $databases[$Target] -Sql "SELECT count(*) FROM casb_activity")
    }
    $files = @(Get-ChildItem (Join-Path $stores[$Target] 'activity') -Filter '*.jsonl' -ErrorAction SilentlyContinue)
    if ($files.Count -eq 0) { return 0 }
    $total = 0
    foreach ($f in $files) { $total += [long] ((& wc -l $f.FullName) -split '\s+')[0] }
    return $total
}

# Waits until the activity writer has drained: the count reaches what is expected, or stops moving for 10 s.
function Wait-ActivityCount([string] $Target, [long] $AtLeast = [long]::MaxValue) {
    $last = -1; $stableSince = [Diagnostics.Stopwatch]::StartNew()
    while ($true) {
        $count = Get-ActivityCount $Target
        if ($count -ge $AtLeast) { Start-Sleep -Milliseconds 300; return Get-ActivityCount $Target }
        if ($count -ne $last) { $last = $count; $stableSince.Restart() }
        elseif ($stableSince.Elapsed.TotalSeconds -ge 10) { return $count }
        Start-Sleep -Milliseconds 200
    }
}

# A gateway target records Summary when its name says so (gw-<n>-summary...) or -ActivityVolume Summary is given.
function Test-SummaryTarget([string] $Target) { return $Target -like 'gw-*' -and ($ActivityVolume -eq 'Summary' -or $Target -match '^gw-\d+-summary') }

function Assert-Decided([string] $Target, [long] $Before, [long] $Completed, [string] $What, [long] $Slack = $Connections + 5) {
    if (-not $stores.ContainsKey($Target)) { return }
    # Summary folds allowed requests into per-minute records written later: Test-Summaries checks them at the end,
    # after the gateway has stopped and written every open minute.
    if (Test-SummaryTarget $Target) { return }
    $after = Wait-ActivityCount $Target ($Before + $Completed)
    $written = $after - $Before
    # Every completed request has its record; a few in flight when the client stopped may add one each.
    if ($written -lt $Completed -or $written -gt $Completed + $Slack) {
        throw "$Target ${What}: the client completed $Completed requests but $written activity records were written."
    }
    $script:verified[$Target] += $written
}

function Invoke-H1([string] $Target, [int] $Duration, [int] $Concurrency = $Connections, [switch] $Warmup) {
    $csv = Join-Path $work "ab-$Target.csv"
    $before = Get-ActivityCount $Target
    $command = @('ab', '-q', '-k', '-c', "$Concurrency", '-t', "$Duration", '-n', '100000000', '-e', $csv, '-H', "User-Agent: $Edge")
    if ($Target -ne 'upstream') { $command += @('-f', 'TLS1.2', '-E', $clientPem) }
    $cpuBefore = Get-TreeCpuSeconds $targetProcesses[$Target].Id
    # PostgreSQL's CPU (the postmaster and its backends) while it takes this target's activity: the database's share.
    $dbCpuBefore = if ($databases.ContainsKey($Target)) { Get-TreeCpuSeconds $postmaster } else { $null }
    $output = Invoke-Client ($command + (Get-Url $Target))
    $cpu = (Get-TreeCpuSeconds $targetProcesses[$Target].Id) - $cpuBefore
    $dbCpu = if ($null -ne $dbCpuBefore) { (Get-TreeCpuSeconds $postmaster) - $dbCpuBefore } else { $null }
    $text = $output -join "`n"
    $rps = if ($text -match 'Requests per second:\s+([\d.]+)') { [double] $Matches[1] } else { throw "ab gave no rate for ${Target}: $text" }
    $completed = if ($text -match 'Complete requests:\s+(\d+)') { [long] $Matches[1] } else { 0 }
    $failed = if ($text -match 'Failed requests:\s+(\d+)') { [long] $Matches[1] } else { 0 }
    $non2xx = if ($text -match 'Non-2xx responses:\s+(\d+)') { [long] $Matches[1] } else { 0 }
    if ($failed -gt 0 -or $non2xx -gt 0) { throw "$Target HTTP/1.1: $failed failed, $non2xx non-2xx of $completed.`n$text" }
    $percentiles = @{}
    foreach ($line in Get-Content $csv | Select-Object -Skip 1) {
        $parts = $line -split ','
        $percentiles[[int] $parts[0]] = [double] $parts[1]
    }
    Assert-Decided $Target $before $completed 'HTTP/1.1'
    if ($Warmup) { return }
    [pscustomobject]@{
        Target = $Target; Kind = 'h1'; Rps = $rps; P50 = $percentiles[50]; P99 = $percentiles[99]; Completed = $completed; CpuUs = 1e6 * $cpu / [math]::Max(1, $completed)
        DbCpuUs = if ($null -ne $dbCpu) { 1e6 * $dbCpu / [math]::Max(1, $completed) } else { $null }
    }
}

function Invoke-H2([string] $Target, [int] $Duration) {
    $log = Join-Path $work "h2load-$Target.log"
    Remove-Item $log -ErrorAction SilentlyContinue
    $before = Get-ActivityCount $Target
    $output = Invoke-Client @('h2load', '-c', "$Connections", '-m', '1', '-t', '1', '-D', "$Duration",
        '-H', "user-agent: $Edge", '--log-file', $log, "http://127.0.0.1:$($h2Ports[$Target])/")
    $text = $output -join "`n"
    if ($text -notmatch 'requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored') {
        throw "h2load gave no counts for ${Target}: $text"
    }
    $done = [long] $Matches[3]; $succeeded = [long] $Matches[4]
    # (a stream cut by the end of the run can have its status counted without being done)
    if ($text -notmatch 'status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx' -or [long] $Matches[1] -lt $done -or
        ([long] $Matches[2] + [long] $Matches[3] + [long] $Matches[4]) -gt 0 -or $succeeded -ne $done) {
        throw "$Target HTTP/2: not every request succeeded with 2xx.`n$text"
    }
    # h2load reports no percentiles: its per-request log has the response time in microseconds.
    $times = [System.Collections.Generic.List[double]]::new()
    foreach ($line in [IO.File]::ReadLines($log)) {
        $parts = $line.Split("`t")
        if ($parts.Count -ge 3) { $times.Add([double] $parts[2] / 1000) }
    }
    $sorted = $times.ToArray(); [Array]::Sort($sorted)
    if ($sorted.Count -eq 0) {
        Write-Warning "$Target HTTP/2: no request completed in $Duration s (an overloaded machine?)."
        return [pscustomobject]@{ Target = $Target; Kind = 'h2'; Rps = 0.0; Completed = 0; P50 = $null; P99 = $null }
    }
    $rps = if ($text -match 'finished in [\d.]+s, ([\d.]+) req/s') { [double] $Matches[1] } else { $sorted.Count / $Duration }
    Assert-Decided $Target $before $done 'HTTP/2'
    [pscustomobject]@{
        Target = $Target; Kind = 'h2'; Rps = $rps; Completed = $sorted.Count
        P50 = $sorted[[int] [math]::Floor(0.50 * ($sorted.Count - 1))]; P99 = $sorted[[int] [math]::Floor(0.99 * ($sorted.Count - 1))]
    }
}

# -Kind hs forces TLS 1.2, hs13 TLS 1.3 ($handshakeProtocols). TLS 1.2 is ab's protocol in the throughput figures (ab cannot
# present a client certificate over TLS 1.3); TLS 1.3 is what `openssl s_time -new -cert` and browsers negotiate when
# nothing is forced. The two differ in where the server's work goes (TLS 1.3: one round trip, the client certificate
# in the server's first flight's answer, session tickets sent after the handshake), so both are measured.
function Invoke-Handshakes([string] $Target, [int] $Duration, [ValidateSet('hs', 'hs13')][string] $Kind) {
    # One s_time per core: a single one is limited by its own RSA signature for the client certificate.
    $clients = foreach ($i in 1..2) {
        $info = [System.Diagnostics.ProcessStartInfo]::new('openssl')
        foreach ($a in @('s_time', '-connect', "127.0.0.1:$($ports[$Target])", '-new', "-$($handshakeProtocols[$Kind])", '-cert', $clientPem, '-key', $clientPem, '-time', "$Duration")) { $info.ArgumentList.Add($a) }
        $info.RedirectStandardOutput = $true; $info.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($info)
        [pscustomobject]@{ Process = $process; Out = $process.StandardOutput.ReadToEndAsync(); Err = $process.StandardError.ReadToEndAsync() }
    }
    $cpuBefore = Get-TreeCpuSeconds $targetProcesses[$Target].Id
    $watch = [Diagnostics.Stopwatch]::StartNew()
    foreach ($c in $clients) { $c.Process.WaitForExit() }
    $cpu = (Get-TreeCpuSeconds $targetProcesses[$Target].Id) - $cpuBefore
    $elapsed = $watch.Elapsed.TotalSeconds
    $outputs = foreach ($c in $clients) { $c.Out.Result; $c.Err.Result }
    $connections = 0
    foreach ($m in [regex]::Matches(($outputs -join "`n"), '(\d+) connections in [\d.]+s')) { $connections += [long] $m.Groups[1].Value }
    if ($connections -eq 0) { throw "openssl s_time made no connection to ${Target}: $($outputs -join "`n")" }
    # CPU per handshake, like CPU per request: the figure a busy machine distorts least.
    [pscustomobject]@{ Target = $Target; Kind = $Kind; Rps = $connections / $elapsed; CpuUs = 1e6 * $cpu / $connections }
}

function Measure-Connections([string] $Target) {
    $process = $targetProcesses[$Target]
    $idle = Get-TreeMemory $process.Id
    $before = Get-ActivityCount $Target
    $requests = $IdleConnections * $(if ($Quick) { 3 } else { 10 })
    $command = @('ab', '-q', '-k', '-c', "$IdleConnections", '-n', "$requests", '-f', 'TLS1.2', '-E', $clientPem, '-H', "User-Agent: $Edge", '-s', '60', (Get-Url $Target))
    $info = [System.Diagnostics.ProcessStartInfo]::new('bash')
    foreach ($a in @('-c', 'ulimit -n 16384; exec "$@"', 'bash') + $command) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardOutput = $true; $info.RedirectStandardError = $true
    $ab = [System.Diagnostics.Process]::Start($info)
    $stdout = $ab.StandardOutput.ReadToEndAsync(); $stderr = $ab.StandardError.ReadToEndAsync()
    $peak = $idle
    while (-not $ab.WaitForExit(100)) {
        $now = Get-TreeMemory $process.Id
        if ($now.RssMB -gt $peak.RssMB) { $peak = $now }
    }
    $text = $stdout.Result + $stderr.Result
    $completed = if ($text -match 'Complete requests:\s+(\d+)') { [long] $Matches[1] } else { 0 }
    $failed = if ($text -match 'Failed requests:\s+(\d+)') { [long] $Matches[1] } else { 0 }
    if ($ab.ExitCode -ne 0 -or $completed -ne $requests -or $text -match 'Non-2xx') { throw "$Target with $IdleConnections connections: ab failed.`n$text" }
    # ab counts a request whose connection failed (a handshake cut by the server's timeout on an overloaded machine)
    # as complete and failed: it reached no middleware, so it has no activity record.
    if ($failed -gt 0) { Write-Warning "$Target with $IdleConnections connections: $failed of $completed requests failed ($(($text -split "`n" | Where-Object { $_ -match '\(Connect|Exceptions' }) -join ' '))." }
    Assert-Decided $Target $before ($completed - $failed) "$IdleConnections connections" ($failed + $IdleConnections)
    Start-Sleep -Seconds $SettleSeconds
    $after = Get-TreeMemory $process.Id
    [pscustomobject]@{ Target = $Target; Failed = $failed; IdleMB = $idle.RssMB; PeakMB = $peak.RssMB; AfterMB = $after.RssMB; IdleThreads = $idle.Threads; PeakThreads = $peak.Threads; AfterThreads = $after.Threads }
}

function Test-Enforcement {
    $certificate = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile((Join-Path $lab 'client.pfx'), $LabPassword)
    foreach ($t in $Targets | Where-Object { $_ -ne 'upstream' }) {
        $with = Invoke-WebRequest (Get-Url $t) -Certificate $certificate -UserAgent $Edge -SkipCertificateCheck -SkipHttpErrorCheck
        if ([int] $with.StatusCode -ne 200 -or $with.Content -notmatch 'Hello from the upstream') { throw "$t with the client certificate answered $([int] $with.StatusCode)." }
        $without = Invoke-WebRequest (Get-Url $t) -UserAgent $Edge -SkipCertificateCheck -SkipHttpErrorCheck
        $expected = switch -Wildcard ($t) { 'nginx' { 400 } 'bare' { 200 } default { 403 } }
        if ([int] $without.StatusCode -ne $expected) { throw "$t without a client certificate answered $([int] $without.StatusCode), expected $expected." }
        if ($t -like 'gw-*' -and $without.Content -notmatch 'Use a company device') { throw "$t without a certificate did not show the policy's block message: $($without.Content)" }
    }
    Write-Host '    with the lab client certificate: 200 everywhere; without: nginx 400, gateway 403 "Use a company device.", bare forwarder 200 (it decides nothing)'
}

function Test-Counters([string] $Target) {
    # The gateway's request counter must agree with its activity log: both are written for every request.
    $metrics = (Invoke-WebRequest "$(Get-Url $Target)metrics" -SkipCertificateCheck).Content
    $counted = 0
    foreach ($line in $metrics -split "`n") {
        if ($line -match '^casb_gateway_requests_total\{[^}]*\}\s+([\d.e+]+)') { $counted += [double] $Matches[1] }
    }
    $dropped = 0
    foreach ($line in $metrics -split "`n") {
        if ($line -match '^casb_gateway_activity_dropped_total\{[^}]*\}\s+([\d.e+]+)') { $dropped += [double] $Matches[1] }
    }
    if ($dropped -ne 0) { throw "$Target dropped $dropped activity records (casb_gateway_activity_dropped_total)." }
    if (Test-SummaryTarget $Target) { Test-Summaries $Target $counted; return }
    $records = Wait-ActivityCount $Target
    $last = if ($databases.ContainsKey($Target)) {
        # Every record went to the database, none to the files.
        if (@(Get-ChildItem (Join-Path $stores[$Target] 'activity') -Filter '*.jsonl' -ErrorAction SilentlyContinue).Count -gt 0) { throw "$Target wrote activity files besides the database." }
        Invoke-TestPostgresSql -Cluster $cluster -Database $databases[$Target] -Sql 'SELECT record FROM casb_activity ORDER BY time DESC LIMIT 1' | ConvertFrom-Json
    }
    else {
        Get-Content (Get-ChildItem (Join-Path $stores[$Target] 'activity') -Filter '*.jsonl' | Sort-Object LastWriteTime | Select-Object -Last 1).FullName -Tail 1 | ConvertFrom-Json
    }
    if ($counted -ne $records) { throw "$Target counted $counted requests but wrote $records activity records." }
    if ($last.action -ne 'Allow' -or $last.certificateStatus -ne 'Valid') { throw "$Target's last record is not an allowed, validated request: $($last | ConvertTo-Json -Compress)" }
    Write-Host "    ${Target}: $records activity records = $counted counted requests; last record: $($last.action), certificate $($last.certificateStatus), revision $($last.revision)"
}
# Activity volume Summary: the stopped gateway has written its last minutes; every request is a record of its own (the
# first of a session, a block) or counted in a Summary record, which folds only allowed requests with a Valid certificate.
function Test-Summaries([string] $Target, [double] $Counted) {
    Stop-Target $targetProcesses[$Target]
    $records = if ($databases.ContainsKey($Target)) {
        @((Invoke-TestPostgresSql -Cluster $cluster -Database $databases[$Target] -Sql 'SELECT record FROM casb_activity ORDER BY time') -split "`n" | Where-Object { $_ } | ConvertFrom-Json)
    }
    else {
        @(Get-ChildItem (Join-Path $stores[$Target] 'activity') -Filter '*.jsonl' | ForEach-Object { Get-Content $_.FullName } | ConvertFrom-Json)
    }
    $requests = 0; $summaries = 0
    foreach ($r in $records) {
        if ($null -eq $r.PSObject.Properties['count'] -or $null -eq $r.count) { $requests++; continue }
        $requests += [long] $r.count; $summaries++
        if ($r.action -ne 'Allow' -or $r.certificateStatus -ne 'Valid') {
            throw "$Target has a Summary record that is not of allowed, validated requests: $($r | ConvertTo-Json -Compress)"
        }
    }
    if ($requests -ne $Counted) { throw "$Target counted $Counted requests but its $($records.Count) activity records ($summaries Summary) stand for $requests." }
    if ($summaries -eq 0) { throw "$Target wrote no Summary record." }
    $script:verified[$Target] = $requests
    Write-Host "    ${Target}: $($records.Count) activity records ($summaries Summary, each of allowed requests with a Valid certificate) stand for $requests requests = $Counted counted"
}
#endregion

#region report
# gw-<n>[-summary][-pg][-variant] in words, e.g. 'gateway, seed + 100 policies, activity Summary in PostgreSQL'.
function Get-TargetDescription([string] $Target) {
    $n = [int] ($Target -replace '^gw-(\d+).*$', '$1')
    $text = 'gateway, seed + {0:N0} policies' -f $n
    $summary = Test-SummaryTarget $Target; $pg = $Target -match '-pg(-variant)?$'
    if ($summary -and $pg) { $text += ', activity Summary in PostgreSQL' }
    elseif ($summary) { $text += ', activity Summary' }
    elseif ($pg) { $text += ', PostgreSQL activity' }
    if ($Target -like '*-variant') {
        $text += ", $(if ($VariantGateway) { "$VariantGateway " })$(($VariantEnvironment.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ' ')"
    }
    return $text.TrimEnd(' ', ',')
}

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Where-Object { $null -ne $_ })
    if ($sorted.Count -eq 0) { return $null }
    [double[]] $sorted = $sorted
    [Array]::Sort($sorted)
    $n = $sorted.Length
    if ($n % 2 -eq 1) { return $sorted[($n - 1) / 2] }
    return ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2
}

function Format-Ratio($Value, $Anchor) {
    if ($null -eq $Value -or $null -eq $Anchor -or $Anchor -eq 0) { return '' }
    return ('{0:0.00}x' -f ($Value / $Anchor))
}

function New-Table($Results, $Memory) {
    $rows = [System.Collections.Generic.List[string]]::new()
    $rows.Add('| Target | HTTP/1.1 req/s | x nginx | p50 / p99 ms | CPU us/req | HTTP/2 req/s | x nginx | p50 / p99 ms | TLS 1.2 handshakes/s | x nginx | CPU us/handshake | TLS 1.3 handshakes/s | x nginx | CPU us/handshake | RSS idle MB | RSS 1,000 conns MB | x nginx | RSS after close MB |')
    $rows.Add('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
    $summary = @{}
    foreach ($t in $Targets) {
        $s = @{}
        foreach ($kind in @('h1', 'h2') + @($handshakeProtocols.Keys)) {
            $r = @($Results | Where-Object { $_.Target -eq $t -and $_.Kind -eq $kind })
            if ($r.Count -eq 0) { continue }
            $s[$kind] = @{
                Rps = Get-Median ($r.Rps); Min = ($r.Rps | Measure-Object -Minimum).Minimum; Max = ($r.Rps | Measure-Object -Maximum).Maximum
                P50 = if ($kind -in 'h1', 'h2') { Get-Median ($r.P50) } else { $null }; P99 = if ($kind -in 'h1', 'h2') { Get-Median ($r.P99) } else { $null }
                CpuUs = if ($kind -ne 'h2') { Get-Median ($r.CpuUs) } else { $null }
            }
        }
        $s['mem'] = if ($Memory) { $Memory | Where-Object Target -EQ $t | Select-Object -First 1 } else { $null }
        $summary[$t] = $s
    }
    $anchor = $summary['nginx']
    $names = @{ upstream = 'upstream alone (ceiling)'; nginx = 'nginx ssl_verify_client (anchor)'; bare = 'bare Kestrel + YARP (floor)' }
    foreach ($t in $Targets | Where-Object { $_ -like 'gw-*' }) { $names[$t] = Get-TargetDescription $t }
    foreach ($t in $Targets) {
        $s = $summary[$t]
        $cells = @($names[$t])
        foreach ($kind in 'h1', 'h2') {
            if ($s.ContainsKey($kind)) {
                $range = if ($Rounds -gt 1) { " ({0:N0}-{1:N0})" -f $s[$kind].Min, $s[$kind].Max } else { '' }
                $cells += ('{0:N0}{1}' -f $s[$kind].Rps, $range)
                $cells += if ($anchor -and $anchor.ContainsKey($kind)) { Format-Ratio $s[$kind].Rps $anchor[$kind].Rps } else { '' }
                $cells += ('{0:0.0} / {1:0.0}' -f $s[$kind].P50, $s[$kind].P99)
                if ($kind -eq 'h1') { $cells += ('{0:0}' -f $s[$kind].CpuUs) }
            }
            else { $cells += '-', '', ''; if ($kind -eq 'h1') { $cells += '' } }
        }
        foreach ($kind in $handshakeProtocols.Keys) {
            if ($s.ContainsKey($kind)) {
                $cells += ('{0:N0}' -f $s[$kind].Rps)
                $cells += if ($anchor -and $anchor.ContainsKey($kind)) { Format-Ratio $s[$kind].Rps $anchor[$kind].Rps } else { '' }
                $cells += ('{0:0}' -f $s[$kind].CpuUs)
            }
            else { $cells += '-', '', '' }
        }
        if ($s['mem']) {
            $cells += ('{0:0}' -f $s['mem'].IdleMB), ('{0:0}' -f $s['mem'].PeakMB)
            $cells += if ($anchor -and $anchor['mem']) { Format-Ratio $s['mem'].PeakMB $anchor['mem'].PeakMB } else { '' }
            $cells += ('{0:0}' -f $s['mem'].AfterMB)
        }
        else { $cells += '-', '-', '', '-' }
        $rows.Add('| ' + ($cells -join ' | ') + ' |')
    }
    return @{ Table = $rows -join "`n"; Summary = $summary }
}
# Each PostgreSQL target against its file twin (gw-100-pg / gw-100): the ratio of each round's pair (run back to back
# in the round, so they met the same machine), the median and range over the rounds.
function New-PostgresTable($Results) {
    $rows = [System.Collections.Generic.List[string]]::new()
    foreach ($pg in $postgresTargets) {
        $file = $pg -replace '-pg(-variant)?$', ''
        if ($file -notin $Targets) { continue }
        $rows.Add("| Figure | $file (file activity) | $pg (PostgreSQL activity) | PostgreSQL / file, median of the rounds' ratios (range) |")
        $rows.Add('|---|--:|--:|--:|')
        $figures = @(
            @{ Name = 'HTTP/1.1 req/s'; Kind = 'h1'; Value = { param($r) $r.Rps } }
            @{ Name = 'HTTP/2 req/s'; Kind = 'h2'; Value = { param($r) $r.Rps } }
            @{ Name = 'handshakes/s'; Kind = 'hs'; Value = { param($r) $r.Rps } }
            @{ Name = 'gateway CPU us/request (HTTP/1.1)'; Kind = 'h1'; Value = { param($r) $r.CpuUs } }
            @{ Name = 'PostgreSQL server CPU us/request (HTTP/1.1)'; Kind = 'h1'; Value = { param($r) if ($null -ne $r.DbCpuUs) { $r.DbCpuUs } else { 0.0 } } }
            @{ Name = 'gateway + PostgreSQL CPU us/request (HTTP/1.1)'; Kind = 'h1'; Value = { param($r) $r.CpuUs + $(if ($null -ne $r.DbCpuUs) { $r.DbCpuUs } else { 0.0 }) } }
        )
        foreach ($f in $figures) {
            $a = @($Results | Where-Object { $_.Target -eq $file -and $_.Kind -eq $f.Kind })
            $b = @($Results | Where-Object { $_.Target -eq $pg -and $_.Kind -eq $f.Kind })
            if ($a.Count -eq 0 -or $b.Count -eq 0) { continue }
            $va = @($a | ForEach-Object { [double] (& $f.Value $_) }); $vb = @($b | ForEach-Object { [double] (& $f.Value $_) })
            $ratios = @(for ($i = 0; $i -lt [math]::Min($va.Count, $vb.Count); $i++) { if ($va[$i] -gt 0) { $vb[$i] / $va[$i] } })
            $ratio = if ($ratios.Count -gt 0) { '{0:0.00} ({1:0.00}-{2:0.00})' -f (Get-Median $ratios), ($ratios | Measure-Object -Minimum).Minimum, ($ratios | Measure-Object -Maximum).Maximum } else { '' }
            $rows.Add("| $($f.Name) | $('{0:N0}' -f (Get-Median $va)) | $('{0:N0}' -f (Get-Median $vb)) | $ratio |")
        }
    }
    return $rows -join "`n"
}
#endregion

# The tests' throwaway cluster (initdb in a temporary folder, pg_ctl on a free loopback port, as the postgres user).
. (Join-Path (Split-Path $PSScriptRoot) 'tests/Pester/PostgresCluster.ps1')
Install-BenchTools
Import-Module $ModuleManifest -Force
$gatewayDll = Join-Path (Split-Path (Resolve-Path $ModuleManifest)) 'gateway/CasbGateway.dll'
$work = Join-Path ([IO.Path]::GetTempPath()) "casb-bench-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory $work | Out-Null
$lab = Join-Path $work 'lab'
$clientPem = Join-Path $work 'client.pem'; $serverCrt = Join-Path $work 'server.crt'; $serverKey = Join-Path $work 'server.key'
$caBundle = Join-Path $work 'ca-bundle.pem'; $crlBundle = Join-Path $work 'crl-bundle.pem'
$processes = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
$targetProcesses = @{}
$stores = @{}
$databases = @{}
$cluster = $null; $postmaster = 0
$verified = @{}
$upstreamPort = Get-FreePort; $upstreamH2Port = Get-FreePort
$ports = @{}; $h2Ports = @{}
foreach ($t in $Targets) { $ports[$t] = if ($t -eq 'upstream') { $upstreamPort } else { Get-FreePort }; $h2Ports[$t] = Get-FreePort; $verified[$t] = 0 }
$load = ((Get-Content /proc/loadavg -Raw).Trim() -split ' ')[0..2] -join ' '

try {
    New-LabFiles
    Write-NginxConfigs
    Write-HaproxyConfig
    $dotnet = Get-Dotnet
    # Not $gatewayEnvironment: PowerShell names are case-insensitive, and that one is the parameter.
    $targetEnvironment = @{ CASB_GATEWAY_CERTIFICATE_PASSWORD = $LabPassword } + $GatewayEnvironment
    if ($postgresTargets.Count -gt 0) {
        Write-Host '==> Throwaway PostgreSQL cluster (fsync and synchronous_commit off: the file sink does not fsync either)'
        $cluster = Start-TestPostgres
        $postmaster = [int] (Get-Content (Join-Path $cluster.DataDirectory 'postmaster.pid') -TotalCount 1)
        $postgresVersion = Invoke-TestPostgresSql -Cluster $cluster -Database postgres -Sql 'SHOW server_version'
        Write-Host "    PostgreSQL $postgresVersion on 127.0.0.1:$($cluster.Port), postmaster $postmaster"
        # The gateways read the password from PGPASSWORD, as libpq does: Start-TestPostgres set it in this process.
        $targetEnvironment['PGPASSWORD'] = $cluster.Password
    }

    $upstream = Start-Target 'nginx' @('-p', $work, '-c', (Join-Path $work 'upstream.conf'), '-g', 'daemon off;') 'upstream'
    Wait-Port $upstreamPort $upstream.Process $upstream.Log
    $targetProcesses['upstream'] = $upstream.Process
    foreach ($t in $Targets) {
        switch ($t) {
            'upstream' { }
            'nginx' {
                $p = Start-Target 'nginx' @('-p', $work, '-c', (Join-Path $work 'nginx.conf'), '-g', 'daemon off;') 'nginx'
                Wait-Port $ports[$t] $p.Process $p.Log; $targetProcesses[$t] = $p.Process
            }
            'bare' {
                $p = Start-Target $dotnet @($BareForwarder, '--listen', "127.0.0.1:$($ports[$t])", '--certificate', (Join-Path $lab 'gateway.pfx'),
                    '--upstream', "http://127.0.0.1:$upstreamPort") 'bare' $targetEnvironment
                Wait-Port $ports[$t] $p.Process $p.Log; $targetProcesses[$t] = $p.Process
            }
            default {
                $extra = [int] ($t -replace '^gw-(\d+).*$', '$1')
                $store = Join-Path $work "store-$t"
                New-GatewayStore $store $extra $(if (Test-SummaryTarget $t) { 'Summary' } else { 'Full' })
                $stores[$t] = $store
                $environment = if ($t -like '*-variant') { $targetEnvironment + $VariantEnvironment } else { $targetEnvironment }
                $dll = if ($t -like '*-variant' -and $VariantGateway) { $VariantGateway } else { $gatewayDll }
                $arguments = @($dll, '--store', $store, '--urls', "https://127.0.0.1:$($ports[$t])", '--name', 'default',
                    '--certificate', (Join-Path $lab 'gateway.pfx'), '--log-file', (Join-Path $work "$t.gateway.log"))
                if ($t -in $postgresTargets) {
                    $databases[$t] = New-TestPostgresDatabase -Cluster $cluster -Prefix ($t -replace '\W', '')
                    $arguments += '--activity-database', $databases[$t]
                }
                $p = Start-Target $dotnet $arguments $t $environment
                Wait-Port $ports[$t] $p.Process $p.Log; $targetProcesses[$t] = $p.Process
            }
        }
    }
    $haproxy = Start-Target 'haproxy' @('-db', '-f', (Join-Path $work 'haproxy.cfg')) 'haproxy'
    Wait-Port $h2Ports[$Targets[0]] $haproxy.Process $haproxy.Log

    Write-Host '==> Checking enforcement'
    Test-Enforcement
    # Long enough for tiered compilation to settle: a profile 20 s into the load still had the JIT on 19% of the
    # gateway's CPU samples (the bare forwarder, far less code, 0.4%), which is start-up cost, not per-request cost.
    Write-Host '==> Warm-up (JIT tiering, certificate chain cache, upstream connections)'
    foreach ($t in $Targets) { Invoke-H1 $t $(if ($Quick) { 2 } else { 15 }) -Warmup }
    # Then each .NET target on until its tiered compilation is done (under 2% of a core over 5 s of load): on a busy
    # machine the gateway, with far more code than the bare forwarder, was still compiling 30 s into the load (the
    # JIT thread 17% of its CPU samples, 0.1% for the bare forwarder), so its first rounds measured start-up, not
    # requests. At most 90 s more per target (30 s with -Quick).
    foreach ($t in $Targets | Where-Object { $_ -eq 'bare' -or $_ -like 'gw-*' }) {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        while ($watch.Elapsed.TotalSeconds -lt $(if ($Quick) { 30 } else { 90 })) {
            $jitBefore = Get-JitCpuSeconds $targetProcesses[$t].Id
            Invoke-H1 $t 5 -Warmup
            $jit = (Get-JitCpuSeconds $targetProcesses[$t].Id) - $jitBefore
            if ($jit -lt 0.1) { break }
        }
        Write-Host ('    {0}: warm after {1:0} s more' -f $t, $watch.Elapsed.TotalSeconds)
    }

    $results = [System.Collections.Generic.List[object]]::new()
    foreach ($round in 1..$Rounds) {
        Write-Host "==> Round $round of $Rounds"
        if ('h1' -in $Figures) {
            foreach ($t in $Targets) { $r = Invoke-H1 $t $Seconds; $results.Add($r); Write-Host ('    {0,-22} HTTP/1.1 {1,9:N0} req/s  p50 {2,5:0.0} ms  p99 {3,5:0.0} ms  CPU {4,4:0} us/request' -f $t, $r.Rps, $r.P50, $r.P99, $r.CpuUs) }
        }
        if ('h2' -in $Figures) {
            foreach ($t in $Targets) { $r = Invoke-H2 $t $Seconds; $results.Add($r); Write-Host ('    {0,-22} HTTP/2   {1,9:N0} req/s  p50 {2,5:0.0} ms  p99 {3,5:0.0} ms' -f $t, $r.Rps, $r.P50, $r.P99) }
        }
        foreach ($kind in $handshakeProtocols.Keys | Where-Object { $_ -in $Figures }) {
            $tls = $handshakeProtocols[$kind] -replace '^tls1_', 'TLS 1.'
            foreach ($t in $Targets | Where-Object { $_ -ne 'upstream' }) { $r = Invoke-Handshakes $t $HandshakeSeconds $kind; $results.Add($r); Write-Host ('    {0,-22} handshakes {1,7:N0}/s  CPU {2,5:0} us/handshake ({3})' -f $t, $r.Rps, $r.CpuUs, $tls) }
        }
    }

    if ('mem' -in $Figures) { Write-Host "==> $IdleConnections keep-alive connections per target" }
    $memory = foreach ($t in $Targets | Where-Object { $_ -ne 'upstream' -and 'mem' -in $Figures }) {
        $m = Measure-Connections $t
        Write-Host ('    {0,-22} RSS idle {1,6:0} MB ({2} threads), with {3} connections {4,6:0} MB ({5} threads), {6} s after {7,6:0} MB ({8} threads)' -f $t, $m.IdleMB, $m.IdleThreads, $IdleConnections, $m.PeakMB, $m.PeakThreads, $SettleSeconds, $m.AfterMB, $m.AfterThreads)
        $m
    }

    Write-Host '==> Checking the decisions were real'
    foreach ($t in $stores.Keys | Sort-Object) { Test-Counters $t }

    $report = New-Table $results $memory
    $cpu = ((Get-Content /proc/cpuinfo | Where-Object { $_ -match '^model name' } | Select-Object -First 1) -replace '^model name\s*:\s*', '')
    $nginxVersion = ((& nginx -v 2>&1) -join '') -replace '^nginx version: ', ''
    $command = if ($Quick) { 'dotnet pwsh ./build.ps1 -Task Bench -Quick' } else { 'dotnet pwsh ./build.ps1 -Task Bench' }
    # Anything but the defaults: the full command, with the parameters that made this table.
    $defaultTargets = 'upstream,nginx,bare,gw-100,gw-100-summary,gw-1000'
    $targetsGiven = @($Targets | Where-Object { $_ -ne "$VariantOf-variant" }) -join ','
    if ($VariantEnvironment.Count -gt 0 -or $VariantGateway -or $Section -ne 'gateway-bench' -or $ActivityVolume -ne 'Full' -or
        $targetsGiven -ne $defaultTargets -or ($Figures -join ',') -ne ($allFigures -join ',') -or $PSBoundParameters.ContainsKey('Rounds')) {
        $arguments = '-ModuleManifest out/CasbModule/CasbModule.psd1 ' +
            '-BareForwarder benchmarks/BareForwarder/bin/Release/net10.0/BareForwarder.dll -DocumentPath docs/benchmarks.md' +
            $(if ($Section -ne 'gateway-bench') { " -Section $Section" }) +
            $(if ($targetsGiven -ne $defaultTargets) { " -Targets $targetsGiven" }) +
            $(if ($PSBoundParameters.ContainsKey('Rounds')) { " -Rounds $Rounds" }) +
            $(if ($ActivityVolume -ne 'Full') { " -ActivityVolume $ActivityVolume" }) +
            $(if ($ThroughputOnly) { ' -ThroughputOnly' } elseif (($Figures -join ',') -ne ($allFigures -join ',')) { " -Figures $($Figures -join ',')" }) +
            $(if ($VariantEnvironment.Count -gt 0) { ' -VariantEnvironment @{ ' + (($VariantEnvironment.GetEnumerator() | Sort-Object Key | ForEach-Object { "$($_.Key) = '$($_.Value)'" }) -join '; ') + ' }' }) +
            $(if ($VariantGateway) { " -VariantGateway $VariantGateway" }) +
            $(if (($VariantEnvironment.Count -gt 0 -or $VariantGateway) -and $VariantOf -ne 'gw-100') { " -VariantOf $VariantOf" }) +
            $(if ($Quick) { ' -Quick' })
        # A hashtable argument does not survive pwsh's -File: with -VariantEnvironment the script runs under -Command.
        $command = 'dotnet pwsh ./build.ps1 -Task Build; ' + $(if ($VariantEnvironment.Count -gt 0) {
                "dotnet pwsh -Command `"& ./benchmarks/Invoke-GatewayBenchmark.ps1 $arguments`"" } else {
                "dotnet pwsh benchmarks/Invoke-GatewayBenchmark.ps1 $arguments" })
    }
    $postgresTable = if ($postgresTargets.Count -gt 0) { New-PostgresTable $results } else { '' }
    $minutes = [math]::Round(((Get-Date) - $started).TotalMinutes, 1)
    $memoryGiB = [math]::Round([double] ((Get-Content /proc/meminfo -TotalCount 1) -replace '\D', '') / 1MB)
    $gcNote = if ($GatewayEnvironment.Count -gt 0) { " Gateway environment: $(($GatewayEnvironment.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ', ')." } else { '' }
    $postgresNote = if ($postgresTargets.Count -gt 0) {
        " PostgreSQL $postgresVersion, the tests' throwaway cluster on loopback (fsync, synchronous_commit and full_page_writes off, shared_buffers 16MB), on the same 2 cores."
    } else { '' }
    $fullTargets = @($stores.Keys | Sort-Object | Where-Object { -not (Test-SummaryTarget $_) })
    $summaryTargets = @($stores.Keys | Sort-Object | Where-Object { Test-SummaryTarget $_ })
    $checks = @()
    if ($fullTargets.Count -gt 0) {
        $checks += "at activity volume Full ($(($fullTargets | ForEach-Object { "$_ $('{0:N0}' -f $verified[$_]) records" }) -join ', ')) the records$(if (@($fullTargets | Where-Object { $databases.ContainsKey($_) }).Count -gt 0) { ' (rows of casb_activity for the PostgreSQL targets)' }) checked against the clients' completed requests after each run, the request counter at /metrics equal to the activity log and the last record an Allow with a Valid certificate"
    }
    if ($summaryTargets.Count -gt 0) {
        $checks += "at Summary ($(($summaryTargets | ForEach-Object { "$_ $('{0:N0}' -f $verified[$_]) requests" }) -join ', ')) each gateway stopped after the rounds (writing its open minutes) and its records, each a request of its own or a Summary record of allowed requests with a Valid certificate carrying a count, stood for exactly the requests counted at /metrics"
    }
    $checkedNote = "Every gateway request was decided and recorded: $($checks -join '; '); none dropped; and a request without a certificate got 403 ""Use a company device.""."
    $sectionText = @"
<!-- ${Section}:begin (written by benchmarks/Invoke-GatewayBenchmark.ps1) -->
Run $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC$(if ($Quick) { ' (**-Quick**: one short round, indicative only)' }), $minutes min: ``$command``.
Machine: $cpu, $([Environment]::ProcessorCount) cores, $memoryGiB GiB; load average at start $load; .NET $([Environment]::Version); $nginxVersion; $((& haproxy -v | Select-Object -First 1) -replace ' - .*', '').$postgresNote
$Rounds round(s) of ${Seconds} s per target and figure, interleaved; medians (range over rounds in brackets), $Connections connections, one client.$gcNote

$($report.Table)
$(if ($postgresTable) { "`n$postgresTable`n" })
$checkedNote
<!-- ${Section}:end -->
"@
    Write-Host ''
    Write-Host $sectionText
    $raw = Join-Path (Split-Path (Split-Path (Resolve-Path $ModuleManifest))) 'bench'
    New-Item -ItemType Directory $raw -Force | Out-Null
    @{ Results = $results; Memory = $memory; Section = $sectionText } | ConvertTo-Json -Depth 6 | Set-Content (Join-Path $raw "bench-$(Get-Date -Format 'yyyyMMdd-HHmmss').json")
    if ($DocumentPath) {
        $doc = Get-Content $DocumentPath -Raw
        $pattern = "(?s)<!-- $([regex]::Escape($Section)):begin.*?<!-- $([regex]::Escape($Section)):end -->"
        if ($doc -notmatch $pattern) { throw "$DocumentPath has no $Section markers." }
        Set-Content $DocumentPath -Value ([regex]::Replace($doc, $pattern, { param($m) $sectionText })) -NoNewline
        Write-Host "Table written to $DocumentPath"
    }
}
finally {
    foreach ($p in $processes) { Stop-Target $p }
    if ($cluster) { Stop-TestPostgres $cluster }
    if ($KeepFiles) { Write-Host "Files kept in $work" } else { Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue }
}
