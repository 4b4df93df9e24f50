<#
.SYNOPSIS
Runs the package tests (Pester 5): Install.Tests.ps1 (Install-PSResource from the file repository) and
AutomationRunbook.Tests.ps1 (the Azure Automation zip and a managed-identity runbook), against a running emulator.
.DESCRIPTION
`cargo xtask test` runs `cargo xtask package`, starts the emulator and runs this script; by hand:

    cargo xtask package
    target/debug/mgpresence serve --port 0      # prints the URL
    pwsh -File tests/package/Invoke-PackageTests.ps1 -PackageRoot out/package -RepositoryPath out/repo -EmulatorUrl <url>

It writes NUnit XML to -ResultPath (out/test-results/package.xml) and closes with one line
"Package tests: N passed, N failed"; the exit code is the number of failures (at most 100). Child pwsh processes are
$env:MGPRESENCE_PWSH_PROGRAM when set, else this pwsh.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $PackageRoot,
    [Parameter(Mandatory)] [string] $RepositoryPath,
    [Parameter(Mandatory)] [string] $EmulatorUrl,
    # Pester 5's manifest (Pester.psd1); without it, the newest Pester 5 on the module path.
    [string] $PesterPath,
    [string] $ResultPath = (Join-Path $PSScriptRoot '../../out/test-results/package.xml')
)

$ErrorActionPreference = 'Stop'
if ($PesterPath) {
    Import-Module $PesterPath -MinimumVersion 5.0
} else {
    Import-Module Pester -MinimumVersion 5.0
}

$PackageRoot = [System.IO.Path]::GetFullPath($PackageRoot)
$RepositoryPath = [System.IO.Path]::GetFullPath($RepositoryPath)
$ResultPath = [System.IO.Path]::GetFullPath($ResultPath)
$null = New-Item -ItemType Directory -Force -Path ([System.IO.Path]::GetDirectoryName($ResultPath))

$containers = @(
    New-PesterContainer -Path (Join-Path $PSScriptRoot 'Install.Tests.ps1') -Data @{ PackageRoot = $PackageRoot; EmulatorUrl = $EmulatorUrl; RepositoryPath = $RepositoryPath }
    New-PesterContainer -Path (Join-Path $PSScriptRoot 'AutomationRunbook.Tests.ps1') -Data @{ PackageRoot = $PackageRoot; EmulatorUrl = $EmulatorUrl }
)
$configuration = New-PesterConfiguration
$configuration.Run.Container = $containers
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = $ResultPath
$configuration.TestResult.TestSuiteName = 'MgPresence package'

try {
    $run = Invoke-Pester -Configuration $configuration
} catch {
    Write-Output "Invoke-Pester failed: $_"
    Write-Output 'Package tests: 0 passed, 1 failed'
    exit 1
}
# As tests/powershell/Invoke-MgPresenceTests.ps1 counts: failed tests, plus failed blocks (a BeforeAll or AfterAll
# that threw) and containers (a file that did not run), which fail no test of their own.
$failed = $run.FailedCount + $run.FailedBlocksCount + $run.FailedContainersCount
Write-Output "Package tests: $($run.PassedCount) passed, $failed failed"
exit [Math]::Min($failed, 100)
