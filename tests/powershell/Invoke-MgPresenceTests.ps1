<#
.SYNOPSIS
Runs the PowerShell tests with Pester 5: the built module, imported in real PowerShell, against the emulator over
loopback.
.DESCRIPTION
`cargo xtask test` builds the module, starts the emulator and runs this script. Every `*.Tests.ps1` in this folder
is a Pester container, given -ModulePath and -EmulatorUrl as its parameters; each file imports the module and
connects to the emulator itself (MgPresence.TestHelpers.psm1), and each test starts with an empty request log and no
faults. Cmdlets.Tests.ps1 walks the generated cases (generated/MgPresence.Cmdlets.TestCases.psd1).

Pester prints one line per test; the results go to -ResultPath as NUnit XML. The script closes with
"PowerShell tests: N passed, N failed" (", N skipped" when some were) and exits with the number of failures (at most
100). A failed BeforeAll/AfterAll block or a container that could not run counts as one more failure.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string] $ModulePath,

    [Parameter(Mandatory = $true)]
    [string] $EmulatorUrl,

    # Pester.psd1 of Pester 5 (imported by path). Without it, the newest Pester 5 the module path has.
    [string] $PesterPath,

    # Where the NUnit XML results go; the folder is created.
    [string] $ResultPath = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'test-results', 'powershell.xml')
)

$ErrorActionPreference = 'Stop'
if ($PesterPath) {
    Import-Module ([System.IO.Path]::GetFullPath($PesterPath))
} else {
    Import-Module Pester -MinimumVersion 5.0
}

$ResultPath = [System.IO.Path]::GetFullPath($ResultPath)
$null = [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($ResultPath))

# The test files in ordinal name order, each a container with the module and the emulator as data.
[string[]] $files = [System.IO.Directory]::GetFiles($PSScriptRoot, '*.Tests.ps1')
[Array]::Sort($files, [StringComparer]::Ordinal)
$testData = @{ ModulePath = [System.IO.Path]::GetFullPath($ModulePath); EmulatorUrl = $EmulatorUrl.TrimEnd('/') }

$configuration = New-PesterConfiguration
$configuration.Run.Container = @(foreach ($file in $files) { New-PesterContainer -Path $file -Data $testData })
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ([Console]::IsOutputRedirected) { $configuration.Output.RenderMode = 'Plaintext' }
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = $ResultPath

$result = Invoke-Pester -Configuration $configuration

if ($null -eq $result) {
    # Pester itself failed (it has written why): no test ran.
    $Host.UI.WriteLine('PowerShell tests: 0 passed, 1 failed')
    exit 1
}
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
$summary = "PowerShell tests: $($result.PassedCount) passed, $failed failed"
if ($result.SkippedCount -gt 0) { $summary += ", $($result.SkippedCount) skipped" }
$Host.UI.WriteLine($summary)
exit [Math]::Min($failed, 100)
