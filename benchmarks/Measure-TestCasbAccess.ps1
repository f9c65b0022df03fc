#Requires -Version 7.4
<#
.SYNOPSIS
    Measures Test-CasbAccess per call against an unchanged store, in pwsh, against the built module.
.DESCRIPTION
    Builds the DecisionBenchmarks configuration (20 apps, 20 groups of 50, two conditional-access policies and
    -Policies access policies) in a temporary store through the cmdlets, then times -Calls what-if calls for the
    benchmarks' allowed request: first with the engine cache (the store unchanged between calls), then with the cache
    emptied before each call (what every call cost before the cache: load, compile, certificate validator).
    The figures include PowerShell's own cost of invoking a cmdlet and writing its object.
.EXAMPLE
    dotnet pwsh -NoProfile ./build.ps1 -Task Build; dotnet pwsh -NoProfile ./benchmarks/Measure-TestCasbAccess.ps1
#>
[CmdletBinding()]
param(
    [int] $Policies = 1000,
    [int] $Calls = 1000,
    [string] $Module = (Join-Path $PSScriptRoot '../out/CasbModule/CasbModule.psd1')
)

$ErrorActionPreference = 'Stop'
Import-Module $Module -Force
$store = Join-Path ([IO.Path]::GetTempPath()) "casb-measure-$([guid]::NewGuid().ToString('N'))"
$edge = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'

try {
    Write-Host "Building a store of $Policies access policies in $store ..."
    foreach ($a in 0..19) {
        Add-CasbApp -StorePath $store -Name "App $a" -Upstream "https://127.0.0.1:$(9000 + $a)" `
            -Hostname "app$a.contoso.local", "*.app$a.contoso.local" -PathPrefix $(if ($a % 4 -eq 0) { '/' } else { '/mail' })
    }
    foreach ($g in 0..19) {
        New-CasbGroup -StorePath $store -Name "Group $g" -Member (0..49 | ForEach-Object { "user$($g * 7 + $_)@contoso.com" }) | Out-Null
    }
    New-CasbConditionalAccessPolicy -StorePath $store -Name 'Route to App Control' -IncludeUser All -ExcludeGroup 'Group 19' `
        -SessionControl AppControl -AppControlMode UseCustomPolicy | Out-Null
    New-CasbConditionalAccessPolicy -StorePath $store -Name 'Block legacy (report-only)' -State ReportOnly -IncludeUser All `
        -ClientAppType MobileAndDesktop -Grant Block | Out-Null
    for ($p = 0; $p -lt $Policies; $p++) {
        $policy = @{
            StorePath = $store
            Name      = 'Policy {0:D4}' -f $p
            Action    = if ($p % 3 -eq 0) { 'Block' } else { 'Test' }
            Severity  = @('Low', 'Medium', 'High')[$p % 3]
            ClientApp = if ($p % 5 -eq 0) { 'Any' } else { 'Browser' }
            Disabled  = $p % 10 -eq 9
        }
        if ($p % 3 -eq 0) { $policy.BlockMessage = "Blocked by policy $p." }
        if ($p % 2 -eq 0) { $policy.App = "App $($p % 20)" }
        switch ($p % 6) {
            0 { $policy.DeviceTag = 'Valid client certificate'; $policy.DeviceTagOperator = 'DoesNotEqual' }
            1 { $policy.Group = "Group $($p % 20)"; $policy.ExcludeUser = 'user17@contoso.com' }
            2 { $policy.IPRange = '10.0.0.0/8', '172.16.0.0/12', '2001:db8:1::/48'; $policy.IPRangeOperator = if ($p % 4 -eq 0) { 'In' } else { 'NotIn' } }
            3 { $policy.UserAgentContains = 'Firefox', 'curl' }
            4 { $policy.User = "user$($p % 200)@contoso.com", "user$(($p + 1) % 200)@contoso.com" }
            5 { $policy.ExcludeGroup = "Group $($p % 20)"; $policy.IPRange = "198.51.$($p % 256).0/24" }
        }
        New-CasbAccessPolicy @policy | Out-Null
    }

    $whatIf = @{ StorePath = $store; App = 'App 3'; User = 'user17@contoso.com'; UserAgent = $edge; IPAddress = '192.0.2.44' }
    $decision = Test-CasbAccess @whatIf
    Write-Host ("Decision: {0}; store file {1:N0} bytes" -f $decision.Action, (Get-Item (Join-Path $store 'casb.json')).Length)

    foreach ($i in 1..100) { $null = Test-CasbAccess @whatIf }
    $cached = [Diagnostics.Stopwatch]::StartNew()
    for ($i = 0; $i -lt $Calls; $i++) { $null = Test-CasbAccess @whatIf }
    $cached.Stop()

    $uncachedCalls = [Math]::Max(1, [int]($Calls / 10))
    $uncached = [Diagnostics.Stopwatch]::StartNew()
    for ($i = 0; $i -lt $uncachedCalls; $i++) {
        [CasbCore.CasbEngineCache]::Shared.Clear()
        $null = Test-CasbAccess @whatIf
    }
    $uncached.Stop()

    [pscustomobject]@{
        Policies            = $Policies
        CachedCalls         = $Calls
        CachedMsPerCall     = [Math]::Round($cached.Elapsed.TotalMilliseconds / $Calls, 3)
        UncachedCalls       = $uncachedCalls
        UncachedMsPerCall   = [Math]::Round($uncached.Elapsed.TotalMilliseconds / $uncachedCalls, 3)
    }
}
finally {
    Remove-Item -Recurse -Force $store -ErrorAction SilentlyContinue
}
