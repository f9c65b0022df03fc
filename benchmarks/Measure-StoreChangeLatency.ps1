#Requires -Version 7.4
<#
.SYNOPSIS
    How long a change made with a cmdlet takes to reach a running gateway, on a folder store and on a PostgreSQL store.
.DESCRIPTION
    On loopback: a throwaway PostgreSQL cluster (tests/Pester/PostgresCluster.ps1; Debian's postgresql package), the
    sample upstream app and one gateway per store kind (Start-CasbGateway). Each change toggles an access policy that
    blocks the app (Enable-/Disable-CasbAccessPolicy); the time is from the cmdlet's return (the change is committed)
    until a real client (Invoke-WebRequest) sees the gateway answer the new way (403 or 200), polled every 10 ms.
    Prints min, median, p95 and max per store kind.
.EXAMPLE
    dotnet pwsh ./benchmarks/Measure-StoreChangeLatency.ps1 -ModuleManifest ./out/CasbModule/CasbModule.psd1 -Changes 40
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $ModuleManifest,
    [int] $Changes = 20,
    [ValidateSet('folder', 'postgresql')][string[]] $Kind = @('folder', 'postgresql')
)

$ErrorActionPreference = 'Stop'
Import-Module $ModuleManifest -Force
$env:CASB_MODULE_MANIFEST = (Resolve-Path $ModuleManifest).Path
. (Join-Path $PSScriptRoot '../tests/Pester/PostgresCluster.ps1')
. (Join-Path $PSScriptRoot '../tests/Pester/TestIdentityProvider.ps1') # Get-FreePort (FreePort.ps1), Get-TestDotnet

$work = Join-Path ([IO.Path]::GetTempPath()) "casb-latency-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory -Path $work | Out-Null
$env:CASB_STATE_DIRECTORY = Join-Path $work 'state'
$browser = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36'
$cluster = $null; $upstream = $null; $gateways = @()
try {
    $upstreamPort = Get-FreePort
    $gatewayDll = Join-Path (Split-Path $env:CASB_MODULE_MANIFEST) 'gateway/CasbGateway.dll'
    $upstream = Start-Process -FilePath (Get-TestDotnet) -ArgumentList $gatewayDll, 'sample-app', '--urls', "http://127.0.0.1:$upstreamPort" -PassThru `
        -RedirectStandardOutput (Join-Path $work 'upstream.log') -RedirectStandardError (Join-Path $work 'upstream.err')
    if ($Kind -contains 'postgresql') { $cluster = Start-TestPostgres }

    $results = foreach ($k in $Kind) {
        $store = if ($k -eq 'postgresql') { New-TestPostgresDatabase $cluster -Prefix 'latency' } else { Join-Path $work 'store' }
        Add-CasbApp -StorePath $store -Name 'App' -Upstream "http://127.0.0.1:$upstreamPort" -Hostname 'localhost', '127.0.0.1'
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'App Control' -IncludeUser All -App 'App' -SessionControl AppControl | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Toggle' -App 'App' -ClientApp Any -Action Block -BlockMessage 'Toggled.' -Disabled | Out-Null
        $gateway = Start-CasbGateway -StorePath $store -Port (Get-FreePort) -Name "latency-$k"
        $gateways += , @($store, $gateway)
        $status = { [int] (Invoke-WebRequest -Uri "$($gateway.Url)/" -SkipCertificateCheck -SkipHttpErrorCheck -UserAgent $browser -TimeoutSec 10).StatusCode }
        $samples = [Collections.Generic.List[double]]::new()
        $cmdlet = [Collections.Generic.List[double]]::new()
        foreach ($i in 1..$Changes) {
            $block = $i % 2 -eq 1
            $timer = [Diagnostics.Stopwatch]::StartNew()
            if ($block) { Enable-CasbAccessPolicy -StorePath $store -Name 'Toggle' } else { Disable-CasbAccessPolicy -StorePath $store -Name 'Toggle' }
            $cmdlet.Add($timer.Elapsed.TotalMilliseconds)
            $timer.Restart()
            $expected = if ($block) { 403 } else { 200 }
            while ((& $status) -ne $expected) {
                if ($timer.Elapsed.TotalSeconds -gt 30) { throw "The gateway on the $k store did not follow change $i within 30 s." }
                Start-Sleep -Milliseconds 10
            }
            $samples.Add($timer.Elapsed.TotalMilliseconds)
            Start-Sleep -Milliseconds (Get-Random -Minimum 100 -Maximum 600) # changes at random points of any poll cycle
        }
        $sorted = $samples | Sort-Object
        [pscustomobject]@{
            Store        = $k
            Changes      = $Changes
            'Min ms'     = [int] $sorted[0]
            'Median ms'  = [int] $sorted[[int][math]::Floor(($sorted.Count - 1) / 2)]
            'p95 ms'     = [int] $sorted[[int][math]::Ceiling(0.95 * $sorted.Count) - 1]
            'Max ms'     = [int] $sorted[-1]
            'Cmdlet ms'  = [int] (($cmdlet | Sort-Object)[[int][math]::Floor(($cmdlet.Count - 1) / 2)])
        }
    }
    $results | Format-Table -AutoSize | Out-Host
}
finally {
    foreach ($g in $gateways) { Get-CasbGateway -StorePath $g[0] -ErrorAction SilentlyContinue | Stop-CasbGateway -Timeout 5 -ErrorAction SilentlyContinue }
    if ($upstream) { Stop-Process -Id $upstream.Id -Force -ErrorAction SilentlyContinue }
    if ($cluster) { Stop-TestPostgres $cluster }
    Remove-Item Env:CASB_STATE_DIRECTORY -ErrorAction SilentlyContinue
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
