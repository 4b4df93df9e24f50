<#
.SYNOPSIS
Runs the PowerShell tests: the built module, imported in real PowerShell, against the emulator over loopback.
.DESCRIPTION
`cargo xtask test` builds the module, starts the emulator and runs this script. It prints one line per test and
closes with "PowerShell tests: N passed, N failed"; the exit code is the number of failures (at most 100).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string] $ModulePath,

    [Parameter(Mandatory = $true)]
    [string] $EmulatorUrl
)

$ErrorActionPreference = 'Stop'
. "$PSScriptRoot/TestFramework.ps1"
$script:EmulatorUrl = $EmulatorUrl.TrimEnd('/')
$script:ModulePath = [System.IO.Path]::GetFullPath($ModulePath)

# The hand-written tests, then the generated ones (one per cmdlet and parameter set, from the cmdlet catalog).
foreach ($file in [System.IO.Directory]::GetFiles($PSScriptRoot, '*.Tests.ps1')) {
    . $file
}
. "$PSScriptRoot/../../generated/MgPresence.Cmdlets.Tests.ps1"

$failed = Write-TestSummary
exit [Math]::Min($failed, 100)
