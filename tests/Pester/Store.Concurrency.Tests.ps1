# On both kinds of store: a folder and a PostgreSQL database (a throwaway cluster, PostgresCluster.ps1).
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'PostgresCluster.ps1')
    $cluster = Start-TestPostgres
    $env:CASB_STATE_DIRECTORY = Join-Path $TestDrive 'state'

    function New-TestStore([string] $Kind, [string] $Name) {
        if ($Kind -eq 'postgresql') { New-TestPostgresDatabase $cluster -Prefix $Name } else { Join-Path $TestDrive $Name }
    }

    function New-TestCaFile([string] $Path, [string] $Subject) {
        $key = [Security.Cryptography.ECDsa]::Create()
        try {
            $request = [Security.Cryptography.X509Certificates.CertificateRequest]::new($Subject, $key, [Security.Cryptography.HashAlgorithmName]::SHA256)
            $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
            $certificate = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddYears(1))
            Set-Content -Path $Path -Value $certificate.ExportCertificatePem() -Encoding ascii
            return $certificate.Thumbprint
        }
        finally { $key.Dispose() }
    }

    $self = (Get-Process -Id $PID).Path
    $pwshPrefix = @(if ([IO.Path]::GetFileNameWithoutExtension($self) -ne 'pwsh') { Join-Path $PSHOME 'pwsh.dll' })
    $started = [Collections.Generic.List[Diagnostics.Process]]::new()
}

AfterAll {
    # Never leave a child behind, whatever happened above.
    foreach ($process in $started) {
        if (-not $process.HasExited) { Stop-Process -Id $process.Id -Force -ErrorAction SilentlyContinue }
    }
    Stop-TestPostgres $cluster
    Remove-Item Env:CASB_STATE_DIRECTORY -ErrorAction SilentlyContinue
}

Describe 'The <Kind> store under concurrent writers' -ForEach @(@{ Kind = 'folder' }, @{ Kind = 'postgresql' }) {
    It 'loses no update when ten pwsh processes add a trusted root to one store at the same time' {
        $store = New-TestStore $Kind 'shared_store'
        $work = Join-Path $TestDrive "concurrency-$Kind"
        $started.Clear()
        New-Item -ItemType Directory -Path $work | Out-Null
        $go = Join-Path $work 'go'
        $child = Join-Path $work 'child.ps1'
        Set-Content -Path $child -Value @'
param([string] $Manifest, [string] $File, [string] $Store, [string] $Ready, [string] $Go)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
Set-Content -Path $Ready -Value $PID
# Start barrier: every process is loaded and waits, so the ten writes really overlap.
$deadline = [DateTime]::UtcNow.AddSeconds(120)
while (-not (Test-Path $Go)) { if ([DateTime]::UtcNow -gt $deadline) { exit 3 }; Start-Sleep -Milliseconds 5 }
Add-CasbTrustedRoot -Path $File -StorePath $Store | Out-Null
exit 0
'@
        $thumbprints = foreach ($i in 1..10) {
            New-TestCaFile -Path (Join-Path $work "ca$i.pem") -Subject "CN=Concurrent CA $i"
        }

        foreach ($i in 1..10) {
            $arguments = @($pwshPrefix) + @('-NoProfile', '-NonInteractive', '-File', $child,
                '-Manifest', $env:CASB_MODULE_MANIFEST, '-File', (Join-Path $work "ca$i.pem"), '-Store', $store,
                '-Ready', (Join-Path $work "ready$i"), '-Go', $go)
            $started.Add((Start-Process -FilePath $self -ArgumentList $arguments -PassThru -NoNewWindow `
                -RedirectStandardError (Join-Path $work "err$i.txt") -RedirectStandardOutput (Join-Path $work "out$i.txt")))
        }

        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        while (@(Get-ChildItem $work -Filter 'ready*').Count -lt 10 -and [DateTime]::UtcNow -lt $deadline -and
            @($started | Where-Object HasExited).Count -eq 0) {
            Start-Sleep -Milliseconds 50
        }
        Set-Content -Path $go -Value 'go'
        foreach ($process in $started) {
            if (-not $process.WaitForExit(120000)) { Stop-Process -Id $process.Id -Force }
        }

        $failures = foreach ($i in 1..10) {
            if ($started[$i - 1].ExitCode -ne 0) { "process $i exited with $($started[$i - 1].ExitCode): $(Get-Content (Join-Path $work "err$i.txt") -Raw)" }
        }
        $failures | Should -BeNullOrEmpty
        (Get-CasbTrustedRoot -StorePath $store).Thumbprint | Sort-Object | Should -Be ($thumbprints | Sort-Object)
        (Get-CasbGatewaySetting -StorePath $store).Revision | Should -Be 10
    }

    It 'refuses to add to a corrupt store with StoreCorrupt and leaves the document byte-for-byte unchanged' {
        $store = New-TestStore $Kind 'corrupt_store'
        $corrupt = "{`"schemaVersion`": 1, `"revision`": 7, `"trustedRoots`": [ {`"thumbprint`": ]}"
        if ($Kind -eq 'postgresql') {
            Get-CasbTrustedRoot -StorePath $store | Out-Null # the store creates its tables on first use
            Invoke-TestPostgresSql $cluster $store "insert into casb.configuration (id, revision, schema_version, document) values (1, 7, 1, `$casb`$$corrupt`$casb`$)" | Out-Null
            $read = { Invoke-TestPostgresSql $cluster $store 'select revision || document from casb.configuration' }
        }
        else {
            New-Item -ItemType Directory -Path $store | Out-Null
            $file = Join-Path $store 'casb.json'
            [IO.File]::WriteAllBytes($file, [Text.Encoding]::UTF8.GetBytes("$corrupt`r`n"))
            $read = { [Convert]::ToBase64String([IO.File]::ReadAllBytes($file)) }
        }
        $before = & $read
        $ca = Join-Path $TestDrive "corrupt-ca-$Kind.pem"
        $null = New-TestCaFile -Path $ca -Subject 'CN=Corrupt Store CA'

        { Add-CasbTrustedRoot -Path $ca -StorePath $store } |
            Should -Throw -ErrorId 'StoreCorrupt,CasbModule.Cmdlets.AddCasbTrustedRootCommand'
        & $read | Should -Be $before
        if ($Kind -eq 'folder') { Get-ChildItem $store -Force -Filter '*.tmp' | Should -BeNullOrEmpty }
    }
}
