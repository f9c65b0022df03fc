# The README's walkthrough, run as a reader runs it: its fenced block (marked `<!-- example: walkthrough -->`) is taken
# from README.md, a few explicit substitutions are made (below), and each statement runs in order in a fresh pwsh whose
# HOME and working folder are under $TestDrive, so the certificate imports and the store never reach the real user's.
# What the README says a line shows (a trailing `# Allow`, `# 200`, `# 403 "message"`) is asserted on that line's
# output. A second part checks that every cmdlet and parameter the README and docs name exists, so a rename fails here
# before a reader meets it.
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'TestIdentityProvider.ps1') # Get-FreePort (FreePort.ps1), Get-TestDotnet

    $root = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
    $readmePath = Join-Path $root 'README.md'
    $docPaths = @($readmePath) + @(Get-ChildItem (Join-Path $root 'docs') -Filter '*.md' |
            Where-Object Name -ne 'benchmarks.md' | ForEach-Object FullName)

    # The fenced PowerShell blocks that follow `<!-- example: <Name> -->`, in document order.
    function Get-MarkedExample([string] $Path, [string] $Name) {
        $pattern = '(?s)<!--\s*example:\s*' + [regex]::Escape($Name) + '\b[^>]*-->\s*\r?\n```powershell\r?\n(?<code>.*?)\r?\n```'
        @([regex]::Matches((Get-Content $Path -Raw), $pattern) | ForEach-Object { $_.Groups['code'].Value })
    }

    # Top-level statements with the comment that ends their last line (what the README says the line shows).
    function Split-Statement([string] $Code) {
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref] $tokens, [ref] $errors)
        if ($errors) { throw "The example does not parse: $($errors[0].Message) (line $($errors[0].Extent.StartLineNumber))" }
        foreach ($statement in $ast.EndBlock.Statements) {
            $comment = $tokens | Where-Object {
                $_.Kind -eq 'Comment' -and $_.Extent.StartLineNumber -eq $statement.Extent.EndLineNumber -and
                $_.Extent.StartOffset -ge $statement.Extent.EndOffset
            } | Select-Object -First 1
            [pscustomobject]@{ Text = $statement.Extent.Text; Comment = [string] $comment.Text }
        }
    }
}

Describe 'README walkthrough' {
    BeforeAll {
        $blocks = Get-MarkedExample $readmePath 'walkthrough'
        $work = Join-Path $TestDrive 'reader'
        $isolatedHome = Join-Path $TestDrive 'home'
        New-Item -ItemType Directory -Path $work, $isolatedHome | Out-Null
        $upstreamPort = Get-FreePort
        $gatewayPort = Get-FreePort
        $gatewayDll = Join-Path (Split-Path $env:CASB_MODULE_MANIFEST) 'gateway/CasbGateway.dll'

        # The only changes to the README's text: the reader runs from the repository root, the test from $TestDrive;
        # 5080 and 8443 may be taken on a CI machine. Each must still be found in the README (asserted below).
        $substitutions = [ordered]@{
            './out/CasbModule/gateway/CasbGateway.dll' = $gatewayDll
            'http://127.0.0.1:5080'                    = "http://127.0.0.1:$upstreamPort"
            '-Port 8443'                               = "-Port $gatewayPort"
            'https://localhost:8443'                   = "https://localhost:$gatewayPort"
        }
        $code = $blocks -join "`n"
        $missing = @($substitutions.Keys | Where-Object { -not $code.Contains($_) })
        foreach ($key in $substitutions.Keys) { $code = $code.Replace($key, $substitutions[$key]) }
        $statements = @(Split-Statement $code)
        $storePath = Join-Path $work 'demo-store'

        # The child runs each statement dot-sourced (so $store, $cert, $sample carry over), stops at the first error,
        # and writes every statement's output (an enum as the name a reader sees), or the error, for the assertions.
        Set-Content -Path (Join-Path $work 'statements.json') -Value (ConvertTo-Json @($statements.Text) -Depth 2)
        $results = Join-Path $work 'results.xml'
        $runner = Join-Path $TestDrive 'run-walkthrough.ps1'
        Set-Content -Path $runner -Value @"
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$env:CASB_MODULE_MANIFEST'
Set-Location '$work'
`$__statements = Get-Content ./statements.json -Raw | ConvertFrom-Json
`$__results = [System.Collections.Generic.List[object]]::new()
try {
    foreach (`$__text in `$__statements) {
        try { `$__output = @(. ([scriptblock]::Create(`$__text)) | ForEach-Object { if (`$_ -is [enum]) { `$_.ToString() } else { `$_ } }); `$__error = `$null }
        catch { `$__output = @(); `$__error = "`$(`$_.FullyQualifiedErrorId): `$(`$_.Exception.Message)" }
        `$__results.Add([pscustomobject]@{ Text = `$__text; Output = `$__output; Error = `$__error })
        if (`$__error) { break }
    }
}
finally {
    `$__results | Export-Clixml -Path '$results' -Depth 3
    Get-Variable | Where-Object { `$_.Value -is [System.Diagnostics.Process] } | ForEach-Object { Stop-Process -Id `$_.Value.Id -Force -ErrorAction SilentlyContinue }
}
"@
        $self = (Get-Process -Id $PID).Path
        $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($self) -ne 'pwsh') { Join-Path $PSHOME 'pwsh.dll' })
        $dotnet = Get-TestDotnet
        $saved = @{ HOME = $env:HOME; PATH = $env:PATH }
        $env:HOME = $isolatedHome
        # The README starts the sample app with `dotnet`: the same one as this test's, even where it is not on PATH.
        if ([IO.Path]::IsPathRooted($dotnet)) { $env:PATH = (Split-Path $dotnet) + [IO.Path]::PathSeparator + $env:PATH }
        try {
            $childOutput = & $self @prefix -NoProfile -NonInteractive -File $runner 2>&1
        }
        finally {
            $env:HOME = $saved.HOME; $env:PATH = $saved.PATH
        }
        $ran = @(if (Test-Path $results) { Import-Clixml $results })
    }

    AfterAll {
        Get-CasbGateway -StorePath $storePath -ErrorAction SilentlyContinue | Stop-CasbGateway -Timeout 5 -ErrorAction SilentlyContinue
    }

    It 'is marked in README.md and every substitution still finds its text' {
        $blocks.Count | Should -BeGreaterThan 0 -Because 'README.md marks its walkthrough with <!-- example: walkthrough -->'
        $missing | Should -BeNullOrEmpty -Because 'the test replaces only these strings; a README that no longer has them needs the test changed too'
    }

    It 'runs every statement without an error' {
        $failed = $ran | Where-Object Error | Select-Object -First 1
        $failed | Should -BeNullOrEmpty -Because "the README's line '$($failed.Text)' failed with $($failed.Error)`n$($childOutput -join "`n")"
        $ran.Count | Should -Be $statements.Count
    }

    It 'shows what the README says each line shows (Allow/Block, 200/403 and the block message)' {
        $checked = 0
        foreach ($result in $ran) {
            $comment = ($statements | Where-Object Text -eq $result.Text | Select-Object -First 1).Comment
            if ($comment -match '^#\s*(?<action>Allow|Block)\b') {
                "$($result.Output)" | Should -Be $Matches.action -Because $result.Text
                $checked++
            }
            elseif ($comment -match '^#\s*(?<status>\d{3})\b(\s+"(?<message>[^"]+)")?') {
                $expected = $Matches
                [int] $result.Output[0].StatusCode | Should -Be ([int] $expected.status) -Because $result.Text
                if ($expected.message) { [string] $result.Output[0].Content | Should -BeLike "*$($expected.message)*" -Because $result.Text }
                $checked++
            }
        }
        $checked | Should -BeGreaterOrEqual 5 -Because 'the walkthrough shows three what-if decisions and two requests through the gateway'
    }

    It 'leaves the allowed and the blocked request in the activity log, as its Get-CasbActivity shows' {
        # The README reads the log after its Stop-CasbGateway, which writes every queued record: while the gateway runs,
        # records are written off the request path, and a CI run that read the log right after the 403 saw none.
        $shown = @(($ran | Where-Object Text -like 'Get-CasbActivity*').Output)
        $blocked = $shown | Where-Object Action -eq 'Block' | Select-Object -First 1
        $allowed = $shown | Where-Object Action -eq 'Allow' | Select-Object -First 1
        $blocked | Should -Not -BeNullOrEmpty -Because "the README's Get-CasbActivity shows the blocked request"
        $allowed | Should -Not -BeNullOrEmpty -Because "the README's Get-CasbActivity shows the allowed request"
        $blocked.HttpStatus | Should -Be 403
        $blocked.BlockMessage | Should -Be 'Use a company device.'
        $blocked.CertificateStatus | Should -Be 'NoCertificate'
        $allowed.HttpStatus | Should -Be 200
        $allowed.User | Should -Be 'vendor@contoso.com'
    }

    It 'stops the gateway it started' {
        @(Get-CasbGateway -StorePath $storePath | Where-Object Status -eq 'Running') | Should -BeNullOrEmpty
    }
}

Describe 'Cmdlets and parameters named in README.md and docs/' {
    BeforeAll {
        $module = Get-Module CasbModule
        # Each `Verb-Casb*` with what follows it on its line up to the next cmdlet (backtick continuations joined;
        # a parenthesized call of this module unwrapped, any other, such as (Read-Host -AsSecureString), left out);
        # a cmdlet given to Get-Help/Get-Command is a name, not a call.
        $uses = foreach ($path in $docPaths) {
            $text = (Get-Content $path -Raw) -replace '`\r?\n\s*', ' '
            foreach ($line in $text -split '\r?\n') {
                $flat = $line
                while ($flat -match '\([^()]*\)') {
                    $flat = [regex]::Replace($flat, '\((?<inner>[^()]*)\)', {
                            param($group)
                            $inner = $group.Groups['inner'].Value
                            if ($inner -match '\b[A-Z][a-z]+-Casb') { " $inner " } else { '_' }
                        })
                }
                $pattern = '(?<!Get-Help\s|Get-Command\s)\b(?<name>[A-Z][a-z]+-Casb[A-Za-z]+)\b(?<rest>(?:(?!\b[A-Z][a-z]+-Casb)[^`|;])*)'
                foreach ($match in [regex]::Matches($flat, $pattern)) {
                    $parameters = [regex]::Matches($match.Groups['rest'].Value, '(?<=^|[\s\[])-(?<p>[A-Za-z][A-Za-z0-9]*)\b') |
                        ForEach-Object { $_.Groups['p'].Value }
                    [pscustomobject]@{ File = Split-Path $path -Leaf; Command = $match.Groups['name'].Value; Parameters = @($parameters); Line = $line.Trim() }
                }
            }
        }
    }

    It 'finds the uses (the scan is not empty)' {
        @($uses).Count | Should -BeGreaterThan 50
    }

    It 'names only cmdlets the module exports' {
        $unknown = $uses | Where-Object { -not $module.ExportedCmdlets.ContainsKey($_.Command) } |
            ForEach-Object { "$($_.File): $($_.Command)" } | Sort-Object -Unique
        $unknown | Should -BeNullOrEmpty
    }

    It 'names only parameters the cmdlet has (or an unambiguous prefix, or an alias)' {
        $commands = @{}
        $wrong = foreach ($use in $uses) {
            $command = $commands[$use.Command] ??= Get-Command $use.Command -Module CasbModule -ErrorAction SilentlyContinue
            if (-not $command) { continue }
            foreach ($name in $use.Parameters) {
                $byPrefix = @($command.Parameters.Keys | Where-Object { $_ -like "$name*" })
                $byAlias = @($command.Parameters.Values | Where-Object { $_.Aliases -contains $name })
                $exact = $command.Parameters.ContainsKey($name)
                if (-not ($exact -or $byAlias.Count -or $byPrefix.Count -eq 1)) { "$($use.File): $($use.Command) -$name   [$($use.Line)]" }
            }
        }
        $wrong | Should -BeNullOrEmpty
    }
}
