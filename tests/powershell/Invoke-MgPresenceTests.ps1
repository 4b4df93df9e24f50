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

# Every test file starts from the module imported and connected to the emulator (any-token mode).
Import-Module $script:ModulePath
$null = Add-MgEnvironment -Name Emulator -GraphEndpoint $script:EmulatorUrl -AzureADEndpoint $script:EmulatorUrl
Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword) -Environment Emulator -NoWelcome

# Each test starts with an empty request log and no faults.
Set-BeforeEach { Clear-EmulatorRequest }

# The hand-written tests in name order, then the generated ones (one per cmdlet and parameter set, from the catalog).
[string[]] $files = [System.IO.Directory]::GetFiles($PSScriptRoot, '*.Tests.ps1')
[Array]::Sort($files, [StringComparer]::Ordinal)
foreach ($file in $files) {
    . $file
}
. "$PSScriptRoot/../../generated/MgPresence.Cmdlets.Tests.ps1"

$failed = Write-TestSummary
exit [Math]::Min($failed, 100)
