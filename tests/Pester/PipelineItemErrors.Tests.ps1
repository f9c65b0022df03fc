# One bad row of piped input (Import-Csv, another cmdlet's objects) must not stop the rows after it: each cmdlet that
# changes the store and binds items from the pipeline reports that row as a non-terminating error with its stable id and
# goes on, as Add-CasbTrustedRoot already did. A single call keeps its terminating error (try/catch around it catches).
BeforeDiscovery {
    # Every store-changing cmdlet that binds rows from the pipeline by property name has a case below, or a reason it has none.
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    $script:piped = Get-Command -Module CasbModule | Where-Object {
        $_.Parameters.ContainsKey('WhatIf') -and @($_.Parameters.Values | Where-Object {
            $_.Attributes | Where-Object { $_ -is [Management.Automation.ParameterAttribute] -and $_.ValueFromPipelineByPropertyName }
        }).Count -gt 0
    } | ForEach-Object Name
}

BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    function New-TestCaFile([string] $Path, [string] $Subject) {
        $key = [Security.Cryptography.ECDsa]::Create()
        try {
            $request = [Security.Cryptography.X509Certificates.CertificateRequest]::new($Subject, $key, [Security.Cryptography.HashAlgorithmName]::SHA256)
            $request.CertificateExtensions.Add([Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
            $certificate = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddYears(1))
            Set-Content -Path $Path -Value $certificate.ExportCertificatePem() -Encoding ascii
            $certificate.Thumbprint
        }
        finally { $key.Dispose() }
    }

    # Each case: Seed (prepares the store), Rows (three rows, the middle one bad), Invoke (pipes them), ErrorId, Kept
    # (what the store holds of the first and third rows afterwards).
    $script:cases = @{
        'Add-CasbApp' = @{
            Seed = { param($Store) Add-CasbApp -StorePath $Store -Name 'Taken' -Upstream 'http://127.0.0.1:8000' }
            Rows = { param($Work) @(
                    [pscustomobject]@{ Name = 'First'; Upstream = 'http://127.0.0.1:8001' }
                    [pscustomobject]@{ Name = 'Taken'; Upstream = 'http://127.0.0.1:8002' }
                    [pscustomobject]@{ Name = 'Third'; Upstream = 'http://127.0.0.1:8003' }) }
            Invoke = { param($Rows, $Store) $Rows | Add-CasbApp -StorePath $Store }
            ErrorId = 'AppExists,CasbModule.Cmdlets.AddCasbAppCommand'
            Kept = { param($Store) (Get-CasbApp -StorePath $Store -Name 'First', 'Third').Name }
        }
        'Add-CasbApp (invalid row)' = @{
            Rows = { param($Work) @(
                    [pscustomobject]@{ Name = 'First'; Upstream = 'http://127.0.0.1:8001' }
                    [pscustomobject]@{ Name = 'Bad'; Upstream = 'file:///etc/passwd' }
                    [pscustomobject]@{ Name = 'Third'; Upstream = 'http://127.0.0.1:8003' }) }
            Invoke = { param($Rows, $Store) $Rows | Add-CasbApp -StorePath $Store }
            ErrorId = 'InvalidUpstream,CasbModule.Cmdlets.AddCasbAppCommand'
            Kept = { param($Store) (Get-CasbApp -StorePath $Store -Name 'First', 'Third').Name }
        }
        'New-CasbGroup' = @{
            Seed = { param($Store) New-CasbGroup -StorePath $Store -Name 'Taken' | Out-Null }
            Rows = { param($Work) 'Name,Description', 'First,one', 'TAKEN,two', 'Third,three' | ConvertFrom-Csv }
            Invoke = { param($Rows, $Store) $Rows | New-CasbGroup -StorePath $Store }
            ErrorId = 'GroupExists,CasbModule.Cmdlets.NewCasbGroupCommand'
            Kept = { param($Store) (Get-CasbGroup -StorePath $Store -Name 'First', 'Third').Name }
        }
        'Add-CasbTrustedRoot' = @{
            Rows = { param($Work) @(
                    [pscustomobject]@{ Path = (Join-Path $Work 'first.pem') }
                    [pscustomobject]@{ Path = (Join-Path $Work 'missing.pem') }
                    [pscustomobject]@{ Path = (Join-Path $Work 'third.pem') }) }
            Invoke = { param($Rows, $Store)
                New-TestCaFile (Join-Path $Work 'first.pem') 'CN=First' | Out-Null
                New-TestCaFile (Join-Path $Work 'third.pem') 'CN=Third' | Out-Null
                $Rows | Add-CasbTrustedRoot -StorePath $Store }
            ErrorId = 'CertificateFileNotFound,CasbModule.Cmdlets.AddCasbTrustedRootCommand'
            Kept = { param($Store) (Get-CasbTrustedRoot -StorePath $Store).Subject | ForEach-Object { $_ -replace '^CN=' } }
        }
        'Import-CasbConfiguration' = @{
            Rows = { param($Work)
                New-CasbGroup -StorePath (Join-Path $Work 'a') -Name 'First' | Out-Null
                New-CasbGroup -StorePath (Join-Path $Work 'c') -Name 'Third' | Out-Null
                Export-CasbConfiguration -StorePath (Join-Path $Work 'a') -Path (Join-Path $Work 'first.json') | Out-Null
                Export-CasbConfiguration -StorePath (Join-Path $Work 'c') -Path (Join-Path $Work 'third.json') | Out-Null
                Set-Content -Path (Join-Path $Work 'bad.json') -Value '{ not json'
                Get-Item (Join-Path $Work 'first.json'), (Join-Path $Work 'bad.json'), (Join-Path $Work 'third.json') }
            Invoke = { param($Rows, $Store) $Rows | Import-CasbConfiguration -StorePath $Store }
            ErrorId = 'ImportFileInvalid,CasbModule.Cmdlets.ImportCasbConfigurationCommand'
            Kept = { param($Store) (Get-CasbGroup -StorePath $Store -Name 'First', 'Third').Name }
        }
        'Remove-CasbTrustedRoot' = @{
            Seed = { param($Store)
                $first = New-TestCaFile (Join-Path $Work 'first.pem') 'CN=First'
                $third = New-TestCaFile (Join-Path $Work 'third.pem') 'CN=Third'
                Add-CasbTrustedRoot -StorePath $Store -Path (Join-Path $Work '*.pem') | Out-Null
                Set-Content -Path (Join-Path $Work 'thumbprints') -Value $first, $third }
            Rows = { param($Work)
                $first, $third = Get-Content (Join-Path $Work 'thumbprints')
                @([pscustomobject]@{ Thumbprint = $first }, [pscustomobject]@{ Thumbprint = 'AB' * 20 }, [pscustomobject]@{ Thumbprint = $third }) }
            Invoke = { param($Rows, $Store) $Rows | Remove-CasbTrustedRoot -StorePath $Store -Confirm:$false }
            ErrorId = 'TrustedRootNotFound,CasbModule.Cmdlets.RemoveCasbTrustedRootCommand'
            # Removed: the store holds neither.
            Kept = { param($Store) if (-not (Get-CasbTrustedRoot -StorePath $Store)) { 'First', 'Third' } }
        }
    }
}

Describe 'A bad row of piped input' {
    It '<_> has a case here (or a reason it needs none)' -ForEach $piped {
        $reasons = @{
            # Writes to the OS certificate store or an NSS database, not to the configuration store; its own tests cover a bad file among several.
            'Import-CasbClientCertificate' = 'not the configuration store'
            # Items are CasbCertificateRevocationList objects or ids; a missing id is ObjectNotFound per id (Remove-CasbCertificateRevocationList.Tests.ps1); files go on per file (Add-CasbCertificateRevocationList.Tests.ps1).
            'Remove-CasbCertificateRevocationList' = 'covered per id'
            'Add-CasbCertificateRevocationList' = 'covered per file'
            # User names cannot be bad: a failure is the shared session list, which ends the call for every user.
            'Revoke-CasbSession' = 'no per-row failure'
        }
        $name = $_
        $covered = @($cases.Keys | Where-Object { ($_ -replace ' \(.*\)$') -eq $name })
        ($covered.Count -gt 0 -or $reasons.ContainsKey($name)) | Should -BeTrue -Because "$name binds rows from the pipeline by property name and changes the store"
    }

    It '<Name>: reports the bad row and keeps the rows around it' -ForEach @(
        @{ Name = 'Add-CasbApp' }, @{ Name = 'Add-CasbApp (invalid row)' }, @{ Name = 'New-CasbGroup' }, @{ Name = 'Add-CasbTrustedRoot' },
        @{ Name = 'Import-CasbConfiguration' }, @{ Name = 'Remove-CasbTrustedRoot' }
    ) {
        $case = $cases[$Name]
        $Work = Join-Path $TestDrive ([guid]::NewGuid())
        New-Item -ItemType Directory -Path $Work | Out-Null
        $store = Join-Path $Work 'store'
        if ($case.Seed) { & $case.Seed $store }
        $rows = & $case.Rows $Work

        $ErrorActionPreference = 'Continue' # a runbook's default; 'Stop' would make any error terminating
        $caught = $null
        $output = try { & $case.Invoke $rows $store 2>&1 } catch { $caught = $_ }
        $errors = @($output | Where-Object { $_ -is [Management.Automation.ErrorRecord] })

        $caught | Should -BeNullOrEmpty -Because 'a bad row is not a terminating error'
        @($errors | Where-Object FullyQualifiedErrorId -EQ $case.ErrorId).Count | Should -BeGreaterThan 0
        @(& $case.Kept $store) | Sort-Object | Should -Be @('First', 'Third')
    }
}
