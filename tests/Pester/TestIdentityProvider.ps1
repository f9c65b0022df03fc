# Starts the test identity provider (out/test-idp, staged by build.ps1 -Task Build) as a process on a free loopback
# port, and stops it. Dot-source it in BeforeAll.

. (Join-Path $PSScriptRoot 'FreePort.ps1')

function Get-TestDotnet {
    if ($env:DOTNET_HOST_PATH -and (Test-Path $env:DOTNET_HOST_PATH)) { return $env:DOTNET_HOST_PATH }
    $self = (Get-Process -Id $PID).Path
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'dotnet') { return $self }
    return 'dotnet'
}

function Start-TestIdentityProvider {
    param([string[]] $User = @('vendor@fabrikam.com:Vendors'), [string[]] $RedirectUri = @())
    $dll = Join-Path (Split-Path (Split-Path $env:CASB_MODULE_MANIFEST)) 'test-idp/CasbTestIdentityProvider.dll'
    if (-not (Test-Path $dll)) { throw "The test identity provider is not staged at $dll (run build.ps1 -Task Build)." }
    $folder = Join-Path ([IO.Path]::GetTempPath()) "casb-idp-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory -Path $folder | Out-Null
    $certificate = Join-Path $folder 'idp.cer'
    $arguments = @($dll, '--urls', 'https://127.0.0.1:0', '--certificate-out', $certificate)
    foreach ($u in $User) { $arguments += @('--user', $u) }
    foreach ($r in $RedirectUri) { $arguments += @('--redirect-uri', $r) }
    $out = Join-Path $folder 'out.log'
    $process = Start-Process -FilePath (Get-TestDotnet) -ArgumentList $arguments -PassThru -RedirectStandardOutput $out -RedirectStandardError (Join-Path $folder 'err.log')
    $deadline = [DateTime]::UtcNow.AddSeconds(180)
    while ([DateTime]::UtcNow -lt $deadline) {
        $line = if (Test-Path $out) { Get-Content $out -ErrorAction SilentlyContinue | Where-Object { $_ -like 'Authority: *' } | Select-Object -First 1 }
        if ($line) {
            return [pscustomobject]@{
                Authority       = $line.Substring('Authority: '.Length).Trim()
                CertificatePath = $certificate
                Certificate     = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadCertificateFromFile($certificate)
                Process         = $process
                Folder          = $folder
            }
        }
        if ($process.HasExited) { throw "The test identity provider exited: $(Get-Content (Join-Path $folder 'err.log') -Raw)" }
        Start-Sleep -Milliseconds 200
    }
    Stop-Process -Id $process.Id -Force -ErrorAction SilentlyContinue
    throw 'The test identity provider did not start within 180 s.'
}

function Stop-TestIdentityProvider {
    param($Provider)
    if ($Provider) {
        Stop-Process -Id $Provider.Process.Id -Force -ErrorAction SilentlyContinue
        Remove-Item $Provider.Folder -Recurse -Force -ErrorAction SilentlyContinue
    }
}

