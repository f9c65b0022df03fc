#Requires -Version 7.6
<#
.SYNOPSIS
    Runs the whole product on embedded defaults: lab certificates, the sample upstream app, the seed's policies
    and the gateway; shows one request allowed with the client certificate and one blocked without it.
.DESCRIPTION
    Everything lives in a temporary folder (store and lab certificates) and on loopback. The script prints the
    gateway URL and the curl / Invoke-WebRequest lines to try, then waits for Ctrl+C and stops everything.
    With -NoWait it stops right after the two requests.
    With -SignIn the app requires sign-in: the test identity provider (out/test-idp, a small OpenID Connect provider
    for tests and demos) runs beside the gateway with the demo users vendor@contoso.com (group Vendors) and
    admin@contoso.com (group Trusted, excluded from App Control). The demo signs the vendor in without a certificate
    (blocked, and the block page names the vendor) and with the lab certificate (the app).
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Demo
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Demo -SignIn
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $ModuleManifest,
    [switch] $NoWait,
    # The gateway's port; when it is taken a free one is used.
    [int] $Port = 8443,
    # Users sign in at the gateway with the test identity provider.
    [switch] $SignIn
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
$idp = $null
# The lab client certificate's principal, so that the vendor's own certificate is no certificate-user mismatch.
$vendor = 'vendor@contoso.com'

# Follows the sign-in: the gateway sends the browser to the identity provider's login form, the form is posted as
# $User, and the provider sends the browser back through the gateway's callback to the page first asked for.
function Invoke-SignedInRequest([string] $Url, [string] $User, $Certificate) {
    $session = $null
    $common = @{ UserAgent = $browser; SkipCertificateCheck = $true; SkipHttpErrorCheck = $true; Headers = @{ Accept = 'text/html' } }
    if ($Certificate) { $common.Certificate = $Certificate }
    $login = Invoke-WebRequest $Url -SessionVariable session @common
    if ($login.Content -notmatch 'name="returnUrl" value="([^"]*)"') { throw "Expected the identity provider's login form, got $([int] $login.StatusCode): $($login.Content)" }
    $returnUrl = [System.Net.WebUtility]::HtmlDecode($Matches[1])
    $loginUrl = [Uri]::new($login.BaseResponse.RequestMessage.RequestUri, '/login')
    Invoke-WebRequest $loginUrl -Method Post -WebSession $session -Body @{ username = $User; returnUrl = $returnUrl } @common
}

try {
    Write-Host "==> Lab certificates in $lab (PFX password $labPassword)"
    New-CasbSampleCertificate -OutputPath $lab | Out-Null

    Write-Host "==> Store ${store}: trusted roots, the lab CRL"
    Add-CasbTrustedRoot -StorePath $store -Path (Join-Path $lab 'root-ca.pem'), (Join-Path $lab 'intermediate-ca.pem') | Out-Null
    Add-CasbCertificateRevocationList -StorePath $store -Path (Join-Path $lab 'intermediate-ca.crl') | Out-Null

    $gatewayPort = Get-FreePort $Port
    if ($SignIn) {
        $idpDll = Join-Path (Split-Path (Split-Path (Resolve-Path $ModuleManifest))) 'test-idp/CasbTestIdentityProvider.dll'
        if (-not (Test-Path $idpDll)) { throw "The test identity provider is not staged at $idpDll (build.ps1 -Task Build stages it)." }
        $idpCertificate = Join-Path $demo 'idp.cer'
        $idpArguments = @($idpDll, '--urls', 'https://127.0.0.1:0', '--certificate-out', $idpCertificate, '--user', "${vendor}:Vendors", '--user', 'admin@contoso.com:Trusted')
        foreach ($hostName in 'localhost', '127.0.0.1') {
            $idpArguments += @('--redirect-uri', "https://${hostName}:$gatewayPort/.casb/signin-oidc", '--post-logout-redirect-uri', "https://${hostName}:$gatewayPort/.casb/signout-callback")
        }
        Write-Host '==> Test identity provider (demo users vendor@contoso.com in Vendors, admin@contoso.com in Trusted)'
        New-Item -ItemType Directory -Path $demo -Force | Out-Null
        $idp = Start-Process -FilePath (Get-Dotnet) -ArgumentList $idpArguments -PassThru `
            -RedirectStandardOutput (Join-Path $demo 'idp.log') -RedirectStandardError (Join-Path $demo 'idp.err')
        $authority = $null
        foreach ($attempt in 1..600) {
            $authority = Get-Content (Join-Path $demo 'idp.log') -ErrorAction SilentlyContinue | Where-Object { $_ -like 'Authority: *' } | Select-Object -First 1
            if ($authority) { break }
            if ($idp.HasExited) { throw "The test identity provider exited: $(Get-Content (Join-Path $demo 'idp.err') -Raw)" }
            Start-Sleep -Milliseconds 200
        }
        if (-not $authority) { throw 'The test identity provider did not start.' }
        $authority = $authority.Substring('Authority: '.Length).Trim()
        Write-Host "    Authority: $authority"
        Set-CasbIdentityProvider -StorePath $store -Authority $authority -ClientId 'casb-gateway' -Name 'Demo identity provider' `
            -ClientSecret (ConvertTo-SecureString 'casb-test-secret' -AsPlainText -Force) `
            -AuthorityCertificate ([System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadCertificateFromFile($idpCertificate))
    }

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
    Add-CasbApp -StorePath $store -Name $appName -Upstream "http://127.0.0.1:$upstreamPort" -Hostname 'localhost', '127.0.0.1' -SignIn $(if ($SignIn) { 'Required' } else { 'None' })
    New-CasbGroup -StorePath $store -Name 'Vendors' | Out-Null
    New-CasbGroup -StorePath $store -Name 'Trusted' | Out-Null
    New-CasbConditionalAccessPolicy -StorePath $store -Name 'Vendors via App Control' -IncludeUser All -ExcludeGroup 'Trusted' -App $appName -SessionControl AppControl | Out-Null
    New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -App $appName -DeviceTag 'Valid client certificate' `
        -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.' | Out-Null

    Write-Host "==> Gateway on https://127.0.0.1:$gatewayPort"
    $gateway = Start-CasbGateway -StorePath $store -Port $gatewayPort -Name 'demo'
    $gateway | Format-Table | Out-Host

    $certificate = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile((Join-Path $lab 'client.pfx'), $labPassword)
    if ($SignIn) {
        $allowed = Invoke-SignedInRequest "$($gateway.Url)/" $vendor $certificate
        $blocked = Invoke-SignedInRequest "$($gateway.Url)/" $vendor $null
        $message = if ($blocked.Content -match '<p class="message">([^<]+)</p>') { [System.Net.WebUtility]::HtmlDecode($Matches[1]) } else { $blocked.Content }
        if ($blocked.Content -notmatch [regex]::Escape("<dd class=`"user`">$vendor</dd>")) { throw "The block page does not name the signed-in vendor: $($blocked.Content)" }
        $message += " (signed in as $vendor)"
    }
    else {
        $allowed = Invoke-WebRequest "$($gateway.Url)/" -Certificate $certificate -UserAgent $browser -SkipCertificateCheck -SkipHttpErrorCheck
        $blocked = Invoke-WebRequest "$($gateway.Url)/" -UserAgent $browser -SkipCertificateCheck -SkipHttpErrorCheck
        $message = try { ($blocked.Content | ConvertFrom-Json).message } catch { $blocked.Content }
    }
    $banner = if ($allowed.Content -match '<h1>([^<]+)</h1>') { $Matches[1] } else { $allowed.Content }
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
    if ($SignIn) {
        Write-Host "In a browser: open $($gateway.Url)/ (accept the self-signed certificates of the gateway and of the identity provider),"
        Write-Host "sign in as $vendor (blocked without the lab certificate, named on the block page) or admin@contoso.com (group Trusted: the app)."
    }
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
    if ($idp -and -not $idp.HasExited) { Stop-Process -Id $idp.Id -Force -ErrorAction SilentlyContinue }
    Remove-Item $demo -Recurse -Force -ErrorAction SilentlyContinue
}
