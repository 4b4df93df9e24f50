<#
.SYNOPSIS
The in-process part of `cargo xtask bench`: each figure measured beside its peer, in this one PowerShell process.
.DESCRIPTION
Prints one line per figure, "bench<TAB>name<TAB>value" (numbers in invariant culture) or "benchinfo<TAB>name<TAB>text";
xtask turns them into the table and the JSON file.

- Per call: after -WarmupCalls of each, -Calls x Set-MgUserPresence against -Calls x the same POST made with the real
  Invoke-RestMethod, with the same token and body, against the same emulator, in interleaved blocks of 100. Each call is timed on its own; medians are compared. A reused
  HttpClient is reported as the floor.
- Bulk: -BulkUsers users through Invoke-MgBulkUserPresence, against a ForEach-Object loop of the peer and against
  ForEach-Object -Parallel -ThrottleLimit 8, unthrottled (-EmulatorUrl runs without throttling).
- Throttled: -ThrottledUsers users through Invoke-MgBulkUserPresence against an emulator that allows
  -ThrottleRequests requests per -ThrottleWindowSeconds; the bound is the least time the limit allows.
- FFI: the cost of one C ABI round trip from .NET, against a managed call (Engine.MeasureRoundTrips).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $ModulePath,
    [Parameter(Mandatory = $true)] [string] $EmulatorUrl,
    [Parameter(Mandatory = $true)] [string] $ThrottledEmulatorUrl,
    [int] $Calls = 1000,
    [int] $WarmupCalls = 1000,
    [int] $BulkUsers = 10000,
    [int] $ThrottledUsers = 5000,
    [int] $ThrottleRequests = 1000,
    [int] $ThrottleWindowSeconds = 2,
    [int] $FfiCalls = 1000000
)
$ErrorActionPreference = 'Stop'
$invariant = [System.Globalization.CultureInfo]::InvariantCulture

function Write-BenchFigure([string] $Name, [double] $Value) {
    $Host.UI.WriteLine("bench`t$Name`t" + $Value.ToString('R', $invariant))
}
function Write-BenchInfo([string] $Name, [string] $Text) {
    $Host.UI.WriteLine("benchinfo`t$Name`t$Text")
}
function Get-Median([double[]] $Values) {
    [Array]::Sort($Values)
    $Values[[int][Math]::Floor($Values.Count / 2)]
}
# The time of each of $Count calls, in ms.
function Measure-EachCall([scriptblock] $Action, [int] $Count) {
    $times = [double[]]::new($Count)
    $clock = [System.Diagnostics.Stopwatch]::new()
    for ($i = 0; $i -lt $Count; $i++) {
        $clock.Restart()
        & $Action $i
        $times[$i] = $clock.Elapsed.TotalMilliseconds
    }
    , $times
}

Import-Module $ModulePath
$token = 'bench-token'
$null = Add-MgEnvironment -Name Bench -GraphEndpoint $EmulatorUrl -AzureADEndpoint $EmulatorUrl
$null = Add-MgEnvironment -Name BenchThrottled -GraphEndpoint $ThrottledEmulatorUrl -AzureADEndpoint $ThrottledEmulatorUrl
Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', $token).SecurePassword) -Environment Bench -NoWelcome

# The peer: the real Invoke-RestMethod of this PowerShell (Microsoft.PowerShell.Utility), with the same token and
# body, no -WebSession (as a script calling it in a loop does).
$peerText = @'
param($Uri, $Token, $Body)
$null = Invoke-RestMethod -Method Post -Uri $Uri -Headers @{ Authorization = "Bearer $Token" } -Body $Body -ContentType 'application/json'
'@
$peer = [scriptblock]::Create($peerText)
Write-BenchInfo 'call.peer' 'Invoke-RestMethod'

$body = '{"sessionId":"bench-app","availability":"Away","activity":"Away","expirationDuration":"PT10M"}'
$uri = "$EmulatorUrl/v1.0/users/bench-user/presence/setPresence"

# Per call: both warmed up alike (PowerShell compiles a function after its first runs, .NET recompiles hot code), then
# measured in interleaved blocks so that drift on a busy machine affects each side alike.
$ourCall = { Set-MgUserPresence -UserId bench-user -SessionId bench-app -Availability Away -Activity Away -ExpirationDuration '00:10:00' }
$peerCall = { & $peer $uri $token $body }
$http = [System.Net.Http.HttpClient]::new()
$floorCall = {
    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::Post, $uri)
    $null = $request.Headers.TryAddWithoutValidation('Authorization', "Bearer $token")
    $request.Content = [System.Net.Http.StringContent]::new($body, [System.Text.Encoding]::UTF8, 'application/json')
    $response = $http.Send($request)
    if (-not $response.IsSuccessStatusCode) { throw "HttpClient call failed: $($response.StatusCode)" }
    $response.Dispose()
}
for ($i = 0; $i -lt $WarmupCalls; $i++) { & $ourCall; & $peerCall; & $floorCall }
$block = [Math]::Min(100, $Calls)
$oursTimes = [System.Collections.Generic.List[double]]::new()
$peerTimes = [System.Collections.Generic.List[double]]::new()
$floorTimes = [System.Collections.Generic.List[double]]::new()
for ($done = 0; $done -lt $Calls; $done += $block) {
    $oursTimes.AddRange([double[]](Measure-EachCall $ourCall $block))
    $peerTimes.AddRange([double[]](Measure-EachCall $peerCall $block))
    $floorTimes.AddRange([double[]](Measure-EachCall $floorCall $block))
}
$ours = Get-Median $oursTimes.ToArray()
$theirs = Get-Median $peerTimes.ToArray()
$floor = Get-Median $floorTimes.ToArray()
Write-BenchFigure 'call.ours_ms' $ours
Write-BenchFigure 'call.peer_ms' $theirs
Write-BenchFigure 'call.floor_ms' $floor

# Bulk, unthrottled.
$users = foreach ($n in 1..$BulkUsers) { @{ UserId = "bulk-$n" } }
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$outcomes = $users | Invoke-MgBulkUserPresence -SessionId bench-app -Availability Busy -Activity InACall -ExpirationDuration '00:10:00'
$bulkSeconds = $clock.Elapsed.TotalSeconds
$failed = @($outcomes | Where-Object { -not $_.Succeeded }).Count
if (@($outcomes).Count -ne $BulkUsers -or $failed -ne 0) { throw "bulk: $(@($outcomes).Count) outcomes, $failed failed" }
Write-BenchFigure 'bulk.ours_s' $bulkSeconds

$clock.Restart()
$users | ForEach-Object { & $peer "$EmulatorUrl/v1.0/users/$($_.UserId)/presence/setPresence" $token $body }
Write-BenchFigure 'bulk.loop_s' $clock.Elapsed.TotalSeconds

$clock.Restart()
$users | ForEach-Object -ThrottleLimit 8 -Parallel {
    $send = [scriptblock]::Create($using:peerText)
    & $send "$($using:EmulatorUrl)/v1.0/users/$($_.UserId)/presence/setPresence" $using:token $using:body
}
Write-BenchFigure 'bulk.parallel_s' $clock.Elapsed.TotalSeconds

# Bulk under an emulated limit.
Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', $token).SecurePassword) -Environment BenchThrottled -NoWelcome
$limitedUsers = foreach ($n in 1..$ThrottledUsers) { @{ UserId = "throttled-$n" } }
$clock.Restart()
$outcomes = $limitedUsers | Invoke-MgBulkUserPresence -SessionId bench-app -Availability Busy -Activity InACall
$throttledSeconds = $clock.Elapsed.TotalSeconds
$failed = @($outcomes | Where-Object { -not $_.Succeeded }).Count
if ($failed -ne 0) { throw "throttled bulk: $failed failed" }
Write-BenchFigure 'throttled.ours_s' $throttledSeconds
# The first window's requests go at once; each later window lets ThrottleRequests more through.
Write-BenchFigure 'throttled.bound_s' ([Math]::Ceiling($ThrottledUsers / $ThrottleRequests - 1) * $ThrottleWindowSeconds)
Write-BenchFigure 'throttled.retried' (@($outcomes | Where-Object { $_.Attempts -gt 1 }).Count)

# FFI round trips.
$null = [MgPresence.Runtime.Engine]::MeasureRoundTrips(10000)
$trips = [MgPresence.Runtime.Engine]::MeasureRoundTrips($FfiCalls)
Write-BenchFigure 'ffi.native_ns' $trips.Item1
Write-BenchFigure 'ffi.native_text_ns' $trips.Item2
Write-BenchFigure 'ffi.managed_ns' $trips.Item3
