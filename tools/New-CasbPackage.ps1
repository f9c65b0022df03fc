<#
.SYNOPSIS
    Packs the staged module (out/CasbModule) into a PowerShell-gallery-style .nupkg under out/packages.
.DESCRIPTION
    Uses PSResourceGet (shipped with PowerShell 7.4+) against a throw-away local file repository, so the
    package is exactly what Publish-PSResource would upload to a gallery: nuspec from the manifest, module files at the
    package root. Nothing leaves the machine.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $OutputPath
)

$ErrorActionPreference = 'Stop'
$packages = Join-Path $OutputPath 'packages'
New-Item -ItemType Directory -Path $packages -Force | Out-Null
$repositoryName = "CasbLocal-$PID"
Register-PSResourceRepository -Name $repositoryName -Uri $packages -Trusted
try {
    Publish-PSResource -Path $ModulePath -Repository $repositoryName -SkipDependenciesCheck
}
finally {
    Unregister-PSResourceRepository -Name $repositoryName
}
$package = Get-ChildItem $packages -Filter 'CasbModule.*.nupkg' | Sort-Object LastWriteTime -Descending | Select-Object -First 1
if (-not $package) { throw "No package was produced in $packages." }
Write-Host "Package: $($package.FullName)"
$package
