#Requires -Version 7.6
<#
.SYNOPSIS
    Runs the whole product on embedded defaults: lab certificates, the sample upstream app, the seed's policies
    and the gateway; shows one request allowed with the client certificate and one blocked without it.
.DESCRIPTION
    Everything lives in a temporary folder (store and lab certificates) and on loopback. The script prints the
    gateway URL and the curl / Invoke-WebRequest lines to try, then waits for Ctrl+C and stops everything.
    With -NoWait it stops right after the two requests.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Demo
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $ModuleManifest,
    [switch] $NoWait,
    # The gateway's port; when it is taken a free one is used.
    [int] $Port = 8443
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModuleManifest -Force

function Get-FreePort([int] $Preferred) {
    foreach ($candidate in $Preferred, 0) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $candidate)
        try { $listener.Start(); return $listener.LocalEndpoint.Port } catch [System.Net.Sockets.SocketException] { } finally { $listener.Stop() }
    }
}

function Get-Dotnet {
    if ($env:DOTNET_HOST_PATH -and (Test-Path $env:DOTNET_HOST_PATH)) { return $env:DOTNET_HOST_PATH }
    $self = (Get-Process -Id $PID).Path
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { return $self }
    return 'dotnet'
}

$demo = Join-Path ([IO.Path]::GetTempPath()) "casb-demo-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
$store = Join-Path $demo 'store'
$lab = Join-Path $demo 'lab'
$labPassword = 'CasbLab!2026'
$appName = 'Microsoft Online Services'
$browser = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0'
$upstream = $null
$gateway = $null

try {
    Write-Host "==> Lab certificates in $lab (PFX password $labPassword)"
    New-CasbSampleCertificate -OutputPath $lab | Out-Null

    Write-Host "==> Store ${store}: trusted roots, the lab CRL"
    Add-CasbTrustedRoot -StorePath $store -Path (Join-Path $lab 'root-ca.pem'), (Join-Path $lab 'intermediate-ca.pem') | Out-Null
    Add-CasbCertificateRevocationList -StorePath $store -Path (Join-Path $lab 'intermediate-ca.crl') | Out-Null

    $upstreamPort = Get-FreePort 5080
    $gatewayDll = Join-Path (Split-Path (Resolve-Path $ModuleManifest)) 'gateway/CasbGateway.dll'
    Write-Host "==> Sample upstream app on http://127.0.0.1:$upstreamPort"
    $upstream = Start-Process -FilePath (Get-Dotnet) -ArgumentList $gatewayDll, 'sample-app', '--urls', "http://127.0.0.1:$upstreamPort" `
        -PassThru -RedirectStandardOutput (Join-Path $demo 'sample-app.log') -RedirectStandardError (Join-Path $demo 'sample-app.err')
    foreach ($attempt in 1..100) {
        try { Invoke-WebRequest "http://127.0.0.1:$upstreamPort/" -TimeoutSec 2 | Out-Null; break }
        catch { if ($upstream.HasExited) { throw "The sample app exited: $(Get-Content (Join-Path $demo 'sample-app.err') -Raw)" }; Start-Sleep -Milliseconds 100 }
    }

    Write-Host "==> App '$appName', conditional access (all users, App Control) and the access policy 'Require certificate'"
    Add-CasbApp -StorePath $store -Name $appName -Upstream "http://127.0.0.1:$upstreamPort" -Hostname 'localhost', '127.0.0.1'
    New-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -IncludeUser All -App $appName -SessionControl AppControl | Out-Null
    New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -App $appName -DeviceTag 'Valid client certificate' `
        -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.' | Out-Null

    $gatewayPort = Get-FreePort $Port
    Write-Host "==> Gateway on https://127.0.0.1:$gatewayPort"
    $gateway = Start-CasbGateway -StorePath $store -Port $gatewayPort -Name 'demo'
    $gateway | Format-Table | Out-Host

    $certificate = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile((Join-Path $lab 'client.pfx'), $labPassword)
    $allowed = Invoke-WebRequest "$($gateway.Url)/" -Certificate $certificate -UserAgent $browser -SkipCertificateCheck -SkipHttpErrorCheck
    $blocked = Invoke-WebRequest "$($gateway.Url)/" -UserAgent $browser -SkipCertificateCheck -SkipHttpErrorCheck
    $banner = if ($allowed.Content -match '<h1>([^<]+)</h1>') { $Matches[1] } else { $allowed.Content }
    $message = try { ($blocked.Content | ConvertFrom-Json).message } catch { $blocked.Content }
    Write-Host ''
    Write-Host "With the client certificate:    $([int] $allowed.StatusCode) - $banner"
    Write-Host "Without a client certificate:   $([int] $blocked.StatusCode) - $message"
    if ([int] $allowed.StatusCode -ne 200 -or [int] $blocked.StatusCode -ne 403) {
        throw "The demo did not behave as expected (allowed: $([int] $allowed.StatusCode), blocked: $([int] $blocked.StatusCode))."
    }

    $pfx = Join-Path $lab 'client.pfx'
    Write-Host ''
    Write-Host "Gateway URL: $($gateway.Url)   (its server certificate is the self-signed one the gateway made in the store: -k / -SkipCertificateCheck)"
    Write-Host 'Try it (a browser User-Agent: the policy applies to browsers, as in Defender for Cloud Apps):'
    Write-Host "  curl -k --cert-type P12 --cert '${pfx}:$labPassword' -A '$browser' $($gateway.Url)/"
    Write-Host "  curl -k -A '$browser' -H 'Accept: text/html' $($gateway.Url)/"
    Write-Host "  `$cert = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile('$pfx', '$labPassword')"
    Write-Host "  Invoke-WebRequest $($gateway.Url)/ -Certificate `$cert -UserAgent '$browser' -SkipCertificateCheck"
    Write-Host "  Invoke-WebRequest $($gateway.Url)/ -UserAgent '$browser' -SkipCertificateCheck -SkipHttpErrorCheck"
    Write-Host "  Get-CasbActivity -StorePath '$store'"
    Write-Host ''
    Start-Sleep -Milliseconds 500
    Get-CasbActivity -StorePath $store | Format-Table | Out-Host

    if (-not $NoWait) {
        Write-Host 'The demo is running. Press Ctrl+C to stop it.'
        while ($true) { Start-Sleep -Seconds 1 }
    }
}
finally {
    Write-Host '==> Stopping the demo'
    if ($gateway) { Stop-CasbGateway -StorePath $store -Name 'demo' -Timeout 10 -ErrorAction SilentlyContinue }
    if ($upstream -and -not $upstream.HasExited) { Stop-Process -Id $upstream.Id -Force -ErrorAction SilentlyContinue }
    Remove-Item $demo -Recurse -Force -ErrorAction SilentlyContinue
}
