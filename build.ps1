#Requires -Version 7.6
<#
.SYNOPSIS
    Builds, tests, packages and demonstrates CasbModule.
.DESCRIPTION
    Build   - compiles the solution and stages a ready-to-import module under out/CasbModule
              (manifest, format file, generated help, and the gateway under gateway/).
    Test    - Build, then the xunit suite and the Pester suite (against the built module, in a fresh pwsh);
              the last line is "Tests: N passed, M failed", counted from both result files.
    Package - Build, then a PowerShell-gallery-style .nupkg of the module under out/.
    Demo    - Build, then the whole product on embedded defaults: lab certificates, a sample upstream app,
              the seed's policies and the gateway.
    Bench   - Build, then the gateway side by side with nginx ssl_verify_client, a bare Kestrel + YARP forwarder
              and the upstream alone, on loopback (benchmarks/Invoke-GatewayBenchmark.ps1; installs nginx-light,
              apache2-utils, haproxy and nghttp2-client when missing); writes the table into docs/benchmarks.md.
              About 15 minutes; -Quick for a 4-minute indicative run (printed, not written). Targets include
              gw-100-summary (the default activity volume); -Figures, -VariantGateway and -VariantOf for A/Bs.
    BenchActivity - Build, then Get-CasbActivity on 1M and 10M file activity records (-First 5, -CorrelationId, a full
              scan) and the same records on PostgreSQL (sink write rate, reader timings, -User, EXPLAIN ANALYZE of each
              query), on a throwaway cluster (benchmarks/Measure-ActivityQuery.ps1); prints Markdown tables for
              docs/benchmarks.md. -Quick: 100,000 records.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Demo', 'Bench', 'BenchActivity', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Skip the build step of Test/Package/Demo (the module must already be staged).
    [switch] $NoBuild,

    # Pester only: run just these test files or folders.
    [string[]] $PesterPath,

    # xunit only: a dotnet test --filter expression.
    [string] $UnitFilter,

    # Which suites Test runs.
    [ValidateSet('All', 'Unit', 'Pester')]
    [string] $Suite = 'All',

    # Demo only: stop after showing the allowed/blocked requests instead of waiting for Ctrl+C.
    [switch] $NoWait,

    # Demo only: users sign in at the gateway with the test identity provider (a demo vendor without a certificate is blocked by name).
    [switch] $SignIn,

    # Bench only: one short round (1-2 minutes) instead of the full run.
    [switch] $Quick
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleOut = Join-Path $out 'CasbModule'
$resultsDir = Join-Path $out 'TestResults'
$pesterVersion = '5.7.1'

function Invoke-Native {
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-NuGetPackagesRoot {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    $line = & dotnet nuget locals global-packages --list
    return ($line -replace '^global-packages:\s*', '').Trim()
}

function Invoke-Build {
    Write-Host "==> Build ($Configuration)"
    Invoke-Native dotnet @('build', (Join-Path $root 'CasbModule.sln'), '-c', $Configuration, '-nologo', '-v', 'quiet', '-clp:ErrorsOnly')

    if (Test-Path $moduleOut) { Remove-Item $moduleOut -Recurse -Force }
    New-Item -ItemType Directory -Path $moduleOut | Out-Null

    $bin = Join-Path $root "src/CasbModule/bin/$Configuration/net10.0"
    # Npgsql and what it needs for the PostgreSQL store (pwsh ships none of them).
    foreach ($file in 'CasbModule.dll', 'CasbModule.pdb', 'CasbModule.xml', 'CasbCore.dll', 'CasbCore.pdb',
        'Npgsql.dll', 'Microsoft.Extensions.Logging.Abstractions.dll', 'Microsoft.Extensions.DependencyInjection.Abstractions.dll') {
        Copy-Item (Join-Path $bin $file) $moduleOut
    }
    Copy-Item (Join-Path $root 'CasbModule.psd1') $moduleOut

    # One format file, assembled from the per-feature view fragments.
    $views = Get-ChildItem (Join-Path $root 'src/CasbModule/Formats') -Filter '*.format.ps1xml' | Sort-Object Name |
        ForEach-Object { Get-Content $_.FullName -Raw }
    $format = "<?xml version=`"1.0`" encoding=`"utf-8`"?>`n<Configuration>`n  <ViewDefinitions>`n$($views -join '')  </ViewDefinitions>`n</Configuration>`n"
    [xml] $format | Out-Null # fail the build on malformed XML
    Set-Content -Path (Join-Path $moduleOut 'CasbModule.format.ps1xml') -Value $format -Encoding utf8NoBOM

    # Help is generated from the XML doc comments of the cmdlets, in a child pwsh so the build never holds the dll.
    $helpDir = Join-Path $moduleOut 'en-US'
    New-Item -ItemType Directory -Path $helpDir | Out-Null
    $code = Invoke-Pwsh @('-NoProfile', '-NonInteractive', '-File', (Join-Path $root 'tools/New-CasbHelp.ps1'),
        '-AssemblyPath', (Join-Path $moduleOut 'CasbModule.dll'),
        '-DocumentationPath', (Join-Path $moduleOut 'CasbModule.xml'),
        '-OutputPath', (Join-Path $helpDir 'CasbModule.dll-Help.xml'))
    if ($code -ne 0) { throw "Help generation failed with exit code $code." }
    Remove-Item (Join-Path $moduleOut 'CasbModule.xml')

    Write-Host '==> Publish gateway'
    Invoke-Native dotnet @('publish', (Join-Path $root 'src/CasbGateway/CasbGateway.csproj'), '-c', $Configuration, '--no-build',
        '-o', (Join-Path $moduleOut 'gateway'), '-nologo', '-v', 'quiet', '-p:UseAppHost=false')
    # The test identity provider (OpenIddict) for the sign-in Pester tests and Demo -SignIn: beside the module, never in it.
    Invoke-Native dotnet @('publish', (Join-Path $root 'tests/TestIdentityProvider/CasbTestIdentityProvider.csproj'), '-c', $Configuration, '--no-build',
        '-o', (Join-Path $out 'test-idp'), '-nologo', '-v', 'quiet', '-p:UseAppHost=false')
    Write-Host "Module staged at $moduleOut"
}

function Get-PwshCommand {
    # Under 'dotnet pwsh' the current process is dotnet itself: a child pwsh is started the same way.
    $self = (Get-Process -Id $PID).Path
    if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'pwsh') { return , @($self) }
    return , @($self, (Join-Path $PSHOME 'pwsh.dll'))
}

function Invoke-Pwsh {
    param([string[]] $ArgumentList)
    $command = Get-PwshCommand
    $prefix = @($command | Select-Object -Skip 1)
    & $command[0] @prefix @ArgumentList | Out-Host
    return $LASTEXITCODE
}

function Read-TestCounts {
    param([string[]] $TrxPath, [string] $JUnitPath)
    $passed = 0; $failed = 0; $found = 0
    foreach ($path in $TrxPath) {
        if (-not (Test-Path $path)) { continue }
        $found++
        [xml] $trx = Get-Content $path -Raw
        $counters = $trx.TestRun.ResultSummary.Counters
        $passed += [int] $counters.passed
        $failed += [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
    }
    if ($JUnitPath -and (Test-Path $JUnitPath)) {
        $found++
        [xml] $junit = Get-Content $JUnitPath -Raw
        foreach ($suite in $junit.SelectNodes('//testsuite')) {
            $tests = [int] $suite.tests; $failures = [int] $suite.failures; $errors = [int] $suite.errors
            $skipped = if ($suite.HasAttribute('skipped')) { [int] $suite.skipped } elseif ($suite.HasAttribute('disabled')) { [int] $suite.disabled } else { 0 }
            $failed += $failures + $errors
            $passed += $tests - $failures - $errors - $skipped
        }
    }
    [pscustomobject]@{ Passed = $passed; Failed = $failed; Files = $found }
}

# The failed tests by name, with the first line of each message, read from the same result files as the counts:
# a CI log is often seen only by its tail, and the runners print their failures far above it.
function Read-FailedTests {
    param([string[]] $TrxPath, [string] $JUnitPath)
    $lines = [System.Collections.Generic.List[string]]::new()
    foreach ($path in $TrxPath) {
        if (-not (Test-Path $path)) { continue }
        [xml] $trx = Get-Content $path -Raw
        $ns = [System.Xml.XmlNamespaceManager]::new($trx.NameTable)
        $ns.AddNamespace('t', $trx.DocumentElement.NamespaceURI)
        foreach ($result in $trx.SelectNodes("//t:UnitTestResult[@outcome!='Passed' and @outcome!='NotExecuted']", $ns)) {
            $message = $result.SelectSingleNode('t:Output/t:ErrorInfo/t:Message', $ns)
            $lines.Add("xunit  $($result.testName): $(Get-MessageHead $(if ($message) { $message.InnerText }))")
        }
    }
    if ($JUnitPath -and (Test-Path $JUnitPath)) {
        [xml] $junit = Get-Content $JUnitPath -Raw
        foreach ($case in $junit.SelectNodes('//testcase[failure or error]')) {
            $problem = $case.SelectSingleNode('failure|error')
            $text = if ($problem.HasAttribute('message')) { $problem.message } else { $problem.InnerText }
            $lines.Add("Pester $($case.name): $(Get-MessageHead $text)")
        }
    }
    $lines
}

# The head of a failure message: enough lines for a CI log to say what failed (a generated test's seed and its
# disagreements), each line cut at 300 characters.
function Get-MessageHead([string] $Text) {
    if (-not $Text) { return '(no message)' }
    $all = $Text.Trim() -split "`r?`n"
    $head = foreach ($line in ($all | Select-Object -First 15)) {
        if ($line.Length -gt 300) { $line.Substring(0, 300) + '...' } else { $line }
    }
    if ($all.Count -gt 15) { $head += "($($all.Count - 15) more lines)" }
    $head -join "`n        "
}

function Invoke-Test {
    if (Test-Path $resultsDir) { Remove-Item $resultsDir -Recurse -Force }
    New-Item -ItemType Directory -Path $resultsDir | Out-Null
    $junit = Join-Path $resultsDir 'pester.xml'
    $runnerFailures = @()
    $trx = @()

    if ($Suite -in 'All', 'Unit') {
        # The tests that measure the whole process (bytes allocated, GC.GetTotalAllocatedBytes) run in a process of their
        # own: hosts, listeners and timers the other tests leave behind allocate per request too and are not the
        # gateway's (a guard once failed CI at +1,332 B in the shared process and measures +757-1,032 B alone).
        # A -UnitFilter runs in one process, as given.
        $runs = if ($UnitFilter) { , @('unit', $UnitFilter) } else { @('unit', 'Process!=Alone'), @('unit-alone', 'Process=Alone') }
        foreach ($run in $runs) {
            $name, $filter = $run
            Write-Host "==> xunit ($filter)"
            $path = Join-Path $resultsDir "$name.trx"
            $trx += $path
            $testArgs = @('test', (Join-Path $root 'tests/Unit/CasbModule.Tests.csproj'), '-c', $Configuration, '--no-build', '-nologo',
                '--results-directory', $resultsDir, '--logger', "trx;LogFileName=$name.trx", '--logger', 'console;verbosity=normal',
                '--filter', $filter)
            & dotnet @testArgs
            if ($LASTEXITCODE -ne 0) { $runnerFailures += "xunit ($filter) exited with $LASTEXITCODE" }
            if (-not (Test-Path $path)) { $runnerFailures += "xunit ($filter) wrote no result file" }
        }
    }

    if ($Suite -in 'All', 'Pester') {
        Write-Host '==> Pester'
        $pester = Join-Path (Get-NuGetPackagesRoot) "pester/$pesterVersion/tools/Pester.psd1"
        if (-not (Test-Path $pester)) { throw "Pester $pesterVersion is not restored at $pester (restore tests/Unit first)." }
        $paths = if ($PesterPath) { $PesterPath -split "," | ForEach-Object { (Resolve-Path $_.Trim()).Path } } else { @(Join-Path $root 'tests/Pester') }
        $runner = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$pester' -Force
`$env:CASB_MODULE_MANIFEST = '$(Join-Path $moduleOut 'CasbModule.psd1')'
`$config = New-PesterConfiguration
`$config.Run.Path = @('$($paths -join "','")')
`$config.Run.Exit = `$true
`$config.Output.Verbosity = 'Detailed'
`$config.TestResult.Enabled = `$true
`$config.TestResult.OutputFormat = 'JUnitXml'
`$config.TestResult.OutputPath = '$junit'
Invoke-Pester -Configuration `$config
"@
        $code = Invoke-Pwsh @('-NoProfile', '-NonInteractive', '-Command', $runner)
        if ($code -ne 0) { $runnerFailures += "Pester exited with $code" }
        if (-not (Test-Path $junit)) { $runnerFailures += 'Pester wrote no result file' }
    }

    $counts = Read-TestCounts -TrxPath $trx -JUnitPath $junit
    foreach ($failure in $runnerFailures) { Write-Host "!! $failure" }
    # Naming the failures must never cost the count line below it.
    try { foreach ($line in Read-FailedTests -TrxPath $trx -JUnitPath $junit) { Write-Host "!! failed: $line" } }
    catch { Write-Host "!! the failed tests could not be named: $($_.Exception.Message)" }
    $failedCount = $counts.Failed
    if ($runnerFailures.Count -gt 0 -and $failedCount -eq 0) { $failedCount = 1 } # a runner that crashed counts as a failure
    Write-Host "Tests: $($counts.Passed) passed, $failedCount failed"
    if ($failedCount -gt 0) { exit 1 }
}

function Invoke-Package {
    $packages = Join-Path $out 'packages'
    New-Item -ItemType Directory -Path $packages -Force | Out-Null
    Get-ChildItem $packages -Filter 'CasbModule.*.nupkg' | Remove-Item -Force
    & (Join-Path $root 'tools/New-CasbPackage.ps1') -ModulePath $moduleOut -OutputPath $out
}

switch ($Task) {
    'Clean' { if (Test-Path $out) { Remove-Item $out -Recurse -Force } }
    'Build' { Invoke-Build }
    'Test' { if (-not $NoBuild) { Invoke-Build }; Invoke-Test }
    'Package' { if (-not $NoBuild) { Invoke-Build }; Invoke-Package }
    'Demo' { if (-not $NoBuild) { Invoke-Build }; & (Join-Path $root 'tools/Start-CasbDemo.ps1') -ModuleManifest (Join-Path $moduleOut 'CasbModule.psd1') -NoWait:$NoWait -SignIn:$SignIn }
    'Bench' {
        if (-not $NoBuild) { Invoke-Build }
        # A -Quick run is indicative only: it prints its table but leaves the full run's figures in the docs.
        & (Join-Path $root 'benchmarks/Invoke-GatewayBenchmark.ps1') -ModuleManifest (Join-Path $moduleOut 'CasbModule.psd1') `
            -BareForwarder (Join-Path $root "benchmarks/BareForwarder/bin/$Configuration/net10.0/BareForwarder.dll") `
            -DocumentPath $(if ($Quick) { '' } else { Join-Path $root 'docs/benchmarks.md' }) -Quick:$Quick
    }
    'BenchActivity' {
        if (-not $NoBuild) { Invoke-Build }
        # The full run writes about 10 GB of file activity under the temp folder (kept for the next run), about 12 GB more
        # in the throwaway cluster (and 8.7 GB for a while), and takes 20-30 minutes: check `df -h /tmp` first.
        $records = if ($Quick) { '100000' } else { '1000000,10000000' }
        & (Join-Path $root 'benchmarks/Measure-ActivityQuery.ps1') -ModuleManifest (Join-Path $moduleOut 'CasbModule.psd1') `
            -Records $records -Repeat $(if ($Quick) { 1 } else { 3 }) -Postgres -Explain
    }
}
