#Requires -Version 7.6
<#
.SYNOPSIS
    Times Get-CasbActivity on the file activity log at 1M and 10M records (one UTC day of one gateway).
.DESCRIPTION
    Generates each data set once with benchmarks/ActivityLogGenerator (the file sink itself, so the block index is what a
    gateway writes), then times each query in a fresh pwsh with the module already imported (the import is not timed):
      First5         Get-CasbActivity -First 5                      (newest first: reads the end of the newest file)
      CorrelationId  Get-CasbActivity -CorrelationId <id mid-day>   (reads the blocks around the time the id carries)
      FullScan       Get-CasbActivity -Action Block -First 1        (no record matches: reads and parses every line; up to 2M records)
    Prints the median of -Repeat runs per query as a Markdown table. Warm page cache: the data set was just written or read.
    For a "before" figure, pass the CasbModule.dll of an older build as -ModuleManifest (its reader ignores the index).
    -Postgres adds the sink write rates (file vs PostgreSQL COPY) and in-process reader timings for both stores: the
    three queries above, and User (-User user1234@contoso.com -First 5: one user of 2,000); the file store's FullScan
    only up to 2M records. -Explain prints PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of each query's SQL, and of FullScan
    also without the index of notable records (dropped in a transaction that is rolled back).
.EXAMPLE
    dotnet pwsh ./benchmarks/Measure-ActivityQuery.ps1 -ModuleManifest out/CasbModule/CasbModule.psd1 -Records 1000000, 10000000
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    # Record counts (from a native command line, one comma-separated argument is fine).
    [string[]] $Records = @('1000000', '10000000'),
    [string] $WorkPath = (Join-Path ([IO.Path]::GetTempPath()) 'casb-activity-bench'),
    # First5, CorrelationId, FullScan (comma-separated from a native command line).
    [string[]] $Query = @('First5', 'CorrelationId', 'FullScan'),
    [int] $Repeat = 3,
    [string] $Label = 'this build',

    # Also PostgreSQL activity: a throwaway cluster (tests/Pester/PostgresCluster.ps1), the same records written with the
    # PostgreSQL sink (binary COPY), and both stores' readers timed in-process (no pwsh start, no module import).
    [switch] $Postgres,
    [switch] $Explain
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$counts = @($Records -split ',' | ForEach-Object { [int] $_.Trim() })
$Query = @($Query -split ',' | ForEach-Object { $_.Trim() })
foreach ($name in $Query) { if ($name -notin 'First5', 'CorrelationId', 'FullScan') { throw "Unknown query '$name': First5, CorrelationId or FullScan." } }
$root = Split-Path $PSScriptRoot -Parent
$ModuleManifest = (Resolve-Path $ModuleManifest).Path
$generatorProject = Join-Path $PSScriptRoot 'ActivityLogGenerator/ActivityLogGenerator.csproj'
$generator = Join-Path $PSScriptRoot 'ActivityLogGenerator/bin/Release/net10.0/ActivityLogGenerator.dll'
if (-not (Test-Path $generator)) {
    & dotnet build $generatorProject -c Release -nologo -v quiet -clp:ErrorsOnly
    if ($LASTEXITCODE -ne 0) { throw 'Building the activity log generator failed.' }
}

$self = (Get-Process -Id $PID).Path
$pwsh = if ([IO.Path]::GetFileNameWithoutExtension($self) -eq 'pwsh') { @($self) } else { @($self, (Join-Path $PSHOME 'pwsh.dll')) }

function Get-DataSet([int] $Count) {
    $store = Join-Path $WorkPath "$Count/store"
    $idsFile = Join-Path $WorkPath "$Count/ids.txt"
    if (-not (Test-Path $idsFile)) {
        if (Test-Path $store) { Remove-Item $store -Recurse -Force }
        Write-Host "Generating $Count records under $store ..."
        $output = & dotnet $generator (Join-Path $store 'activity') $Count
        if ($LASTEXITCODE -ne 0) { throw "The generator failed: $output" }
        Write-Host ($output | Select-Object -First 1)
        Set-Content -Path (Join-Path $WorkPath "$Count/gen.out") -Value $output
        $ids = $output | Select-Object -Skip 2
        Set-Content -Path $idsFile -Value $ids
    }
    [pscustomobject]@{ Store = $store; Ids = @(Get-Content $idsFile) }
}

function Measure-Query([string] $Store, [string] $Command) {
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModuleManifest'
`$watch = [Diagnostics.Stopwatch]::StartNew()
`$result = @($Command)
`$watch.Stop()
'{0} {1}' -f `$watch.Elapsed.TotalMilliseconds, `$result.Count
"@
    $prefix = @($pwsh | Select-Object -Skip 1)
    $line = & $pwsh[0] @prefix -NoProfile -NonInteractive -Command $script | Select-Object -Last 1
    if ($LASTEXITCODE -ne 0) { throw "pwsh failed: $line" }
    $ms, $count = $line -split ' '
    [pscustomobject]@{ Ms = [double] $ms; Count = [int] $count }
}

$rows = foreach ($count in $counts) {
    $data = Get-DataSet $count
    $bytes = (Get-ChildItem (Join-Path $data.Store 'activity') -Filter '*.jsonl' | Measure-Object Length -Sum).Sum
    foreach ($name in $Query) {
        # A full scan reads and parses every line: minutes at 10M records, and the same per record at any size.
        if ($name -eq 'FullScan' -and $count -gt 2000000) { continue }
        $command = switch ($name) {
            'First5' { "Get-CasbActivity -StorePath '$($data.Store)' -First 5" }
            'CorrelationId' { "Get-CasbActivity -StorePath '$($data.Store)' -CorrelationId '$($data.Ids[1])'" }
            'FullScan' { "Get-CasbActivity -StorePath '$($data.Store)' -Action Block -First 1" }
        }
        $runs = @(1..$Repeat | ForEach-Object { Measure-Query $data.Store $command })
        $expected = @{ First5 = 5; CorrelationId = 1; FullScan = 0 }[$name]
        if ($runs[0].Count -ne $expected) { throw "$name returned $($runs[0].Count) records, not $expected." }
        $median = ($runs.Ms | Sort-Object)[[int][math]::Floor($runs.Count / 2)]
        [pscustomobject]@{
            Build = $Label; Records = $count; 'Log MB' = [math]::Round($bytes / 1MB); Query = $name
            'Median ms' = [math]::Round($median, 1); Runs = ($runs.Ms | ForEach-Object { [math]::Round($_) }) -join ' / '
        }
    }
}

if ($Postgres) {
    . (Join-Path $root 'tests/Pester/PostgresCluster.ps1')
    $cluster = Start-TestPostgres
    try {
        $rows = @($rows) + @(foreach ($count in $counts) {
            $data = Get-DataSet $count
            $uri = New-TestPostgresDatabase -Cluster $cluster -Prefix "bench$count"
            # Both sinks write the same records now, one after the other, so the rates are comparable.
            $scratch = Join-Path $WorkPath "$count/scratch"
            $fileOutput = & dotnet $generator (Join-Path $scratch 'activity') $count
            if ($LASTEXITCODE -ne 0) { throw "The generator failed: $fileOutput" }
            Remove-Item $scratch -Recurse -Force
            $pgOutput = & dotnet $generator --postgres $uri $count
            if ($LASTEXITCODE -ne 0) { throw "The generator failed: $pgOutput" }
            Write-Host "file:       $($fileOutput | Select-Object -First 1)"
            Write-Host "postgresql: $($pgOutput | Select-Object -First 1)"
            # Ids are random past their time: the PostgreSQL data set has its own.
            $pgIds = @($pgOutput | Select-Object -Skip 2)
            foreach ($store in @(@{ Name = 'file (in-process)'; Target = (Join-Path $data.Store 'activity'); Id = $data.Ids[1] }, @{ Name = 'postgresql (in-process)'; Target = $uri; Id = $pgIds[1] })) {
                foreach ($name in 'First5', 'CorrelationId', 'FullScan', 'User') {
                    if ($name -eq 'FullScan' -and $count -gt 2000000 -and $store.Target -notlike 'postgresql://*') { continue }
                    $runs = @(1..$Repeat | ForEach-Object {
                        $line = & dotnet $generator --query $store.Target $name $store.Id | Select-Object -Last 1
                        $ms, $found = $line -split ' '
                        if ([int] $found -ne @{ First5 = 5; CorrelationId = 1; FullScan = 0; User = 5 }[$name]) { throw "$name on $($store.Name) found $found records." }
                        [double] $ms
                    })
                    $median = ($runs | Sort-Object)[[int][math]::Floor($runs.Count / 2)]
                    [pscustomobject]@{
                        Build = "$Label, $($store.Name)"; Records = $count; 'Log MB' = ''; Query = $name
                        'Median ms' = [math]::Round($median, 1); Runs = ($runs | ForEach-Object { [math]::Round($_, 1) }) -join ' / '
                    }
                }
            }
            if ($Explain) {
                # The SQL PostgresActivityReader sends for each query (its parameters inlined).
                $at = [DateTimeOffset]::FromUnixTimeMilliseconds([Convert]::ToInt64($pgIds[1].Substring(0, 12), 16)).UtcDateTime
                $plans = [ordered]@{
                    First5 = 'SELECT record FROM casb_activity ORDER BY time DESC LIMIT 5'
                    CorrelationId = "SELECT record FROM casb_activity WHERE time >= '$($at.ToString('o'))' AND time < '$($at.AddMilliseconds(1).ToString('o'))' AND correlation_id = '$($pgIds[1])' ORDER BY time DESC"
                    FullScan = "SELECT record FROM casb_activity WHERE action = ANY('{Block}') ORDER BY time DESC LIMIT 1"
                    User = "SELECT record FROM casb_activity WHERE coalesce(user_name, '') ILIKE 'user1234@contoso.com' ORDER BY time DESC LIMIT 5"
                }
                foreach ($name in $plans.Keys) {
                    Write-Host "EXPLAIN $name ($count records):"
                    Write-Host (Invoke-TestPostgresSql -Cluster $cluster -Database $uri -Sql "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $($plans[$name])")
                }
                Write-Host "EXPLAIN FullScan without casb_activity_notable ($count records):"
                Write-Host (Invoke-TestPostgresSql -Cluster $cluster -Database $uri -Sql "BEGIN; DROP INDEX casb_activity_notable; EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $($plans['FullScan']); ROLLBACK;")
                Write-Host (Invoke-TestPostgresSql -Cluster $cluster -Database $uri -Sql "SELECT relname, pg_size_pretty(pg_relation_size(oid)) FROM pg_class WHERE relname LIKE 'casb_activity%' ORDER BY relname")
            }
        })
    }
    finally {
        Stop-TestPostgres $cluster
    }
}

$rows | Format-Table -AutoSize | Out-Host
'| Build | Records | Log MB | Query | Median ms | Runs (ms) |'
'|---|---:|---:|---|---:|---|'
foreach ($row in $rows) {
    "| $($row.Build) | $($row.Records) | $($row.'Log MB') | $($row.Query) | $($row.'Median ms') | $($row.Runs) |"
}
