<#
.SYNOPSIS
The speed and memory figures of `cargo xtask bench`, each a ratio against a peer measured in the same run.
.DESCRIPTION
- Import: `pwsh -NoProfile -Command "Import-Module MgPresence; exit"` against bare `pwsh -NoProfile -Command exit`.
- Call: Set-MgUserPresence against the same POST made with System.Net.Http.HttpClient from the same PowerShell,
  both against the emulator over loopback.
- Memory: working set and managed heap added by Import-Module, against the process before it.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $ModulePath,
    [Parameter(Mandatory = $true)] [string] $EmulatorUrl,
    [Parameter(Mandatory = $true)] [string] $PwshProgram,
    [int] $Runs = 7,
    [int] $Calls = 200
)
$ErrorActionPreference = 'Stop'
$ModulePath = [System.IO.Path]::GetFullPath($ModulePath)

function Get-Median([double[]] $values) {
    [Array]::Sort($values)
    $values[[int][Math]::Floor($values.Count / 2)]
}

function Measure-Process([string] $command) {
    $times = foreach ($i in 1..$Runs) {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        & $PwshProgram -NoProfile -NonInteractive -Command $command | Out-Null
        $clock.Elapsed.TotalMilliseconds
    }
    Get-Median $times
}

$bare = Measure-Process 'exit 0'
$withModule = Measure-Process "Import-Module '$ModulePath'; exit 0"
$Host.UI.WriteLine(('import: bare pwsh {0:N0} ms, pwsh + Import-Module MgPresence {1:N0} ms: ratio {2:N2} (module adds {3:N0} ms)' -f
    $bare, $withModule, ($withModule / $bare), ($withModule - $bare)))

$process = [System.Diagnostics.Process]::GetCurrentProcess()
[GC]::Collect(); $process.Refresh()
$workingBefore = $process.WorkingSet64; $heapBefore = [GC]::GetTotalMemory($true)
Import-Module $ModulePath
$null = Add-MgEnvironment -Name Bench -GraphEndpoint $EmulatorUrl -AzureADEndpoint $EmulatorUrl
Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'bench-token').SecurePassword) -Environment Bench -NoWelcome
[GC]::Collect(); $process.Refresh()
$Host.UI.WriteLine(('memory: Import-Module + Connect-MgGraph add {0:N1} MB working set ({1:N1} MB managed heap) to a {2:N1} MB process: ratio {3:N2}' -f
    (($process.WorkingSet64 - $workingBefore) / 1MB), (([GC]::GetTotalMemory($true) - $heapBefore) / 1MB), ($workingBefore / 1MB),
    ($process.WorkingSet64 / $workingBefore)))

$userId = 'bench-user'; $appId = 'bench-app'
$null = Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away   # warm up
$clock = [System.Diagnostics.Stopwatch]::StartNew()
foreach ($i in 1..$Calls) { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away }
$cmdlet = $clock.Elapsed.TotalMilliseconds / $Calls

$http = [System.Net.Http.HttpClient]::new()
$body = '{"sessionId":"bench-app","availability":"Away","activity":"Away"}'
$send = {
    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Post, "$EmulatorUrl/v1.0/users/$userId/presence/setPresence")
    $request.Headers.Add('Authorization', 'Bearer bench-token')
    $request.Content = [System.Net.Http.StringContent]::new($body, [System.Text.Encoding]::UTF8, 'application/json')
    $response = $http.Send($request)
    if (-not $response.IsSuccessStatusCode) { throw "HttpClient call failed: $($response.StatusCode)" }
    $response.Dispose()
}
& $send
$clock.Restart()
foreach ($i in 1..$Calls) { & $send }
$raw = $clock.Elapsed.TotalMilliseconds / $Calls
$Host.UI.WriteLine(('call: Set-MgUserPresence {0:N2} ms, HttpClient POST from PowerShell {1:N2} ms: ratio {2:N2}' -f $cmdlet, $raw, ($cmdlet / $raw)))
