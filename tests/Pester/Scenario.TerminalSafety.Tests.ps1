# What an admin's terminal shows: request paths, User-Agents, certificate subjects and names with terminal escapes
# (ESC[...], C1 CSI) and bidi overrides reach the cmdlets' output only as visible escapes (\x1b, \u202e).
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    # Ansi keeps escapes in data (the default, PlainText when redirected, would strip ESC sequences and hide the bug).
    # PowerShell's own accents are turned off, and the reset it puts after each header cell is taken out.
    $accents = 'TableHeader', 'FormatAccent', 'CustomTableHeaderLabel', 'ErrorAccent', 'Error', 'Warning', 'Verbose'
    $savedRendering = $PSStyle.OutputRendering
    $savedAccents = @{}
    foreach ($accent in $accents) { $savedAccents[$accent] = $PSStyle.Formatting.$accent; $PSStyle.Formatting.$accent = '' }
    $PSStyle.OutputRendering = 'Ansi'

    function Show([Parameter(ValueFromPipeline)] $InputObject, [ValidateSet('Table', 'List', 'ListAll', 'Default')] [string] $As = 'Default') {
        begin { $all = [System.Collections.Generic.List[object]]::new() }
        process { $all.Add($InputObject) }
        end {
            $text = switch ($As) {
                'Table' { $all | Format-Table | Out-String -Width 4000 }
                'List' { $all | Format-List | Out-String -Width 4000 }
                'ListAll' { $all | Format-List * | Out-String -Width 4000 }
                'Default' { $all | Out-String -Width 4000 }
            }
            $text.Replace("`e[0m", '')
        }
    }

    # The control and bidi characters in $Text, apart from the line ends the formatter itself writes, as "U+001B"
    # (never raw: a failure message with ESC in it would itself break the terminal and the JUnit report).
    function Get-Unsafe([string] $Text) {
        @($Text.Replace("`r`n", '').Replace("`n", '').ToCharArray() | Where-Object { [CasbCore.DisplayText]::NeedsEscape($_) } |
            ForEach-Object { 'U+{0:X4}' -f [int] $_ } | Select-Object -Unique)
    }

    function Safe([string] $Text) { [CasbCore.DisplayText]::Safe($Text) }

    $hostile = "`e[32mAllow 200`e[0m`e[2K`u{9b}1A`u{202e}gpj.exe"
    $shown = [CasbCore.DisplayText]::Safe($hostile)

    function New-Key { [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256) }
    function New-Name([string] $CommonName) {
        $builder = [System.Security.Cryptography.X509Certificates.X500DistinguishedNameBuilder]::new()
        $builder.AddCommonName($CommonName)
        $builder.Build()
    }
}

AfterAll {
    $PSStyle.OutputRendering = $savedRendering
    foreach ($accent in $accents) { $PSStyle.Formatting.$accent = $savedAccents[$accent] }
}

Describe 'The harness' {
    It 'sees raw escapes when an object shows them' {
        # The checks below can fail: the same rendering keeps a raw string's escapes.
        Get-Unsafe ([pscustomobject]@{ Path = $hostile } | Show -As Table) | Should -Not -BeNullOrEmpty
    }
}

Describe 'Get-CasbActivity from a log with hostile values in every field' {
    BeforeAll {
        $store = Join-Path $TestDrive 'store'
        $activity = Join-Path $store 'activity'
        New-Item -ItemType Directory -Path $activity | Out-Null

        # Every field of the logged record (found by reflection, so a new field is covered) carries the hostile text,
        # tagged with its name.
        $line = [ordered]@{}
        $fields = @()
        foreach ($property in [CasbCore.Activity.ActivityRecord].GetProperties()) {
            $name = [char]::ToLowerInvariant($property.Name[0]) + $property.Name.Substring(1)
            $type = $property.PropertyType
            if ($type -eq [string]) {
                $line[$name] = "<$($property.Name)>$hostile"; $fields += $property.Name
            } elseif ($type -eq [System.Collections.Generic.IReadOnlyList[string]]) {
                $line[$name] = @("<$($property.Name)>$hostile"); $fields += $property.Name
            } elseif ($type -eq [System.Collections.Generic.IReadOnlyList[CasbCore.Activity.ActivityConditionalAccessResult]]) {
                $line[$name] = @(@{ policy = "<Policy>$hostile"; outcome = "<Outcome>$hostile"; reason = "<Reason>$hostile" })
            } elseif ($type -eq [DateTimeOffset] -or $type -eq [Nullable[DateTimeOffset]]) {
                $line[$name] = [DateTimeOffset]::UtcNow.ToString('o')
            } elseif ($type -eq [bool] -or $type -eq [Nullable[bool]]) {
                $line[$name] = $true
            } else {
                $line[$name] = 7
            }
        }

        Set-Content -Path (Join-Path $activity "activity-$([datetime]::UtcNow.ToString('yyyyMMdd')).jsonl") -Value ($line | ConvertTo-Json -Compress -Depth 5)
        $record = Get-CasbActivity -StorePath $store
    }

    It 'reads the record (the log keeps the exact text)' {
        $record | Should -HaveCount 1
        $record.GetRecord().UserAgent -ceq "<UserAgent>$hostile" | Should -BeTrue
        $fields | Should -Contain 'Path'
        $fields | Should -Contain 'CertificateSubject'
    }

    It 'shows no control character in the <_> rendering' -ForEach 'Table', 'List', 'ListAll', 'Default' {
        Get-Unsafe ($record | Show -As $_) | Should -BeNullOrEmpty
    }

    It 'shows every field, escaped' {
        $text = $record | Show -As ListAll
        foreach ($field in $fields) {
            $text | Should -Match ([regex]::Escape("<$field>$shown")) -Because "$field is shown"
        }
    }

    It 'shows escaped text through plain property access too' {
        $record.Path | Should -BeExactly "<Path>$shown"
        $record.UserAgent | Should -BeExactly "<UserAgent>$shown"
    }
}

Describe 'Certificates with hostile subjects' {
    BeforeAll {
        $store = Join-Path $TestDrive 'certs'
        $caKey = New-Key
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new((New-Name "Evil CA $hostile"), $caKey, 'SHA256')
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('KeyCertSign, CrlSign', $true))
        $ca = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddYears(1))
        $caFile = Join-Path $TestDrive 'evil-ca.pem'
        Set-Content -Path $caFile -Value $ca.ExportCertificatePem()

        $leafKey = New-Key
        $leafRequest = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new((New-Name "device $hostile"), $leafKey, 'SHA256')
        $leaf = $leafRequest.Create($ca, [DateTimeOffset]::UtcNow.AddHours(-1), [DateTimeOffset]::UtcNow.AddDays(30), [byte[]] (1, 2, 3, 4))
        $leafFile = Join-Path $TestDrive 'evil-leaf.pem'
        Set-Content -Path $leafFile -Value $leaf.ExportCertificatePem()
    }

    It 'carries the escapes in the certificate itself' {
        # Otherwise the checks below prove nothing.
        $ca.Subject.Contains([char] 27) | Should -BeTrue
    }

    It 'Add- and Get-CasbTrustedRoot show the subject escaped' {
        $added = Add-CasbTrustedRoot -StorePath $store -Path $caFile
        $roots = Get-CasbTrustedRoot -StorePath $store

        $added.Subject | Should -Match ([regex]::Escape($shown))
        Get-Unsafe ($roots | Show -As Table) | Should -BeNullOrEmpty
        Get-Unsafe ($roots | Show -As ListAll) | Should -BeNullOrEmpty
    }

    It 'writes the verbose message escaped when the root is already trusted' {
        $verbose = Add-CasbTrustedRoot -StorePath $store -Path $caFile -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }

        $verbose | Should -Not -BeNullOrEmpty
        Get-Unsafe ($verbose.Message -join "`n") | Should -BeNullOrEmpty
    }

    It 'Test-CasbClientCertificate shows subject, issuer and chain escaped' {
        $result = Test-CasbClientCertificate -StorePath $store -Path $leafFile

        $result.Subject | Should -Match ([regex]::Escape($shown))
        Get-Unsafe ($result | Show -As Table) | Should -BeNullOrEmpty
        Get-Unsafe ($result | Show -As List) | Should -BeNullOrEmpty
        Get-Unsafe ($result | Show -As ListAll) | Should -BeNullOrEmpty
    }
}

Describe 'Errors and warnings' {
    It 'refuses a name with escapes and shows the error message escaped' {
        $store = Join-Path $TestDrive 'errors'
        $err = $null
        try { New-CasbGroup -StorePath $store -Name "ops$hostile" -ErrorAction Stop } catch { $err = $_ }

        $err.FullyQualifiedErrorId | Should -Be 'InvalidName,CasbModule.Cmdlets.NewCasbGroupCommand'
        Get-Unsafe $err.ErrorDetails.Message | Should -BeNullOrEmpty
        $err.ErrorDetails.Message | Should -Match ([regex]::Escape($shown))
        Get-Unsafe ($err | Out-String -Width 4000).Replace("`e[0m", '') | Should -BeNullOrEmpty
    }

    It 'shows a warning escaped' {
        # A name with escapes is refused before any warning now; a store path is text the admin does not control either.
        # No '[' in it: TestDrive's clean-up reads the folder names as wildcards.
        $store = Join-Path $TestDrive "w`e`u{9b}1A`u{202e}gpj"
        Revoke-CasbSession -StorePath $store -UserName bob -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue

        $warned | Should -Not -BeNullOrEmpty
        Get-Unsafe ($warned.Message -join "`n") | Should -BeNullOrEmpty
    }
}

Describe 'A real request through the gateway' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'FreePort.ps1')

        $store = Join-Path $TestDrive 'gateway'
        Add-CasbApp -StorePath $store -Name 'Payroll' -Upstream "http://127.0.0.1:$(Get-FreePort)" -Hostname '127.0.0.1' | Out-Null
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'All via App Control' -IncludeUser All -App 'Payroll' -SessionControl AppControl | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Block everything' -App 'Payroll' -ClientApp Any -Action Block -BlockMessage 'Blocked.' | Out-Null
        $gateway = Start-CasbGateway -StorePath $store -Port (Get-FreePort) -Name 'terminal-safety'
    }

    AfterAll {
        Get-CasbGateway -StorePath $store -ErrorAction SilentlyContinue | Stop-CasbGateway -Timeout 5 -ErrorAction SilentlyContinue
        if ($gateway) { Stop-Process -Id $gateway.ProcessId -Force -ErrorAction SilentlyContinue }
    }

    It 'logs a User-Agent with ESC[...] exactly, refuses an escaped control-character path (400) and logs it as received, and Get-CasbActivity shows them escaped' {
        $userAgent = "curl `e[32mAllow 200`e[0m`e[1A"
        # An escaped control or bidi character in the path is refused as ambiguous (400) and logged as received.
        $status = & curl -sk -o /dev/null -w '%{http_code}' -A $userAgent "$($gateway.Url)/%1B%5B2J%E2%80%AEpayroll"
        $status | Should -Be '400'

        $record = $null
        foreach ($attempt in 1..50) {
            $record = Get-CasbActivity -StorePath $store -First 1
            if ($record) { break }
            Start-Sleep -Milliseconds 100
        }

        $record.Action | Should -Be 'Block'
        Safe $record.GetRecord().UserAgent | Should -BeExactly (Safe $userAgent)
        $record.GetRecord().Path | Should -BeExactly '/%1B%5B2J%E2%80%AEpayroll'
        $table = Get-CasbActivity -StorePath $store | Show -As Table
        Get-Unsafe $table | Should -BeNullOrEmpty
        Get-Unsafe (Get-CasbActivity -StorePath $store | Show -As ListAll) | Should -BeNullOrEmpty
        $record.UserAgent | Should -BeExactly 'curl \x1b[32mAllow 200\x1b[0m\x1b[1A'
    }
}
