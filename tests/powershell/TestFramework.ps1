# A small assertion runner for the PowerShell tests (Pester is not on this project's package feed). It uses only what
# every PowerShell 7 has, so the tests run in real pwsh and in the project's PowerShell engine host alike.
# Describe/It/Assert-* follow Pester's names so the tests read the same.

$script:Results = [System.Collections.Generic.List[object]]::new()
$script:CurrentDescribe = ''

function Describe {
    param([Parameter(Mandatory, Position = 0)][string] $Name, [Parameter(Mandatory, Position = 1)][scriptblock] $Body)
    $script:CurrentDescribe = $Name
    $Host.UI.WriteLine($Name)
    & $Body
}

function It {
    param([Parameter(Mandatory, Position = 0)][string] $Name, [Parameter(Mandatory, Position = 1)][scriptblock] $Body)
    $full = "$script:CurrentDescribe :: $Name"
    try {
        if ($script:BeforeEach) { & $script:BeforeEach }
        $null = & $Body
        $script:Results.Add([pscustomobject]@{ Name = $full; Passed = $true; Message = '' })
        $Host.UI.WriteLine("  [+] $Name")
    } catch {
        $where = if ($_.InvocationInfo) { " (line $($_.InvocationInfo.ScriptLineNumber))" } else { '' }
        $script:Results.Add([pscustomobject]@{ Name = $full; Passed = $false; Message = "$($_.Exception.Message)$where" })
        $Host.UI.WriteErrorLine("  [-] $Name`n      $($_.Exception.Message)$where")
    }
}

function Set-BeforeEach {
    param([Parameter(Mandatory, Position = 0)][scriptblock] $Body)
    $script:BeforeEach = $Body
}

function Assert-Equal {
    param([Parameter(Position = 0)] $Expected, [Parameter(Position = 1)] $Actual, [Parameter(Position = 2)][string] $Because = '')
    if (-not [object]::Equals($Expected, $Actual) -and "$Expected" -cne "$Actual") {
        throw "Expected <$Expected> but got <$Actual>. $Because"
    }
}

function Assert-True {
    param([Parameter(Position = 0)] $Condition, [Parameter(Position = 1)][string] $Because = 'condition was false')
    if (-not $Condition) { throw "Expected true: $Because" }
}

function Assert-Like {
    param([Parameter(Position = 0)][string] $Pattern, [Parameter(Position = 1)][string] $Actual)
    if ($Actual -notlike $Pattern) { throw "Expected text like <$Pattern> but got <$Actual>" }
}

function Assert-Contains {
    param([Parameter(Position = 0)][string] $Expected, [Parameter(Position = 1)][string] $Actual)
    if (-not $Actual.Contains($Expected)) { throw "Expected <$Actual> to contain <$Expected>" }
}

function Assert-SequenceEqual {
    param([Parameter(Position = 0)][object[]] $Expected, [Parameter(Position = 1)][object[]] $Actual)
    $e = ($Expected | ForEach-Object { "$_" }) -join ', '
    $a = ($Actual | ForEach-Object { "$_" }) -join ', '
    if ($e -cne $a) { throw "Expected [$e] but got [$a]" }
}

# Texts in ordinal order (Sort-Object is not in every PowerShell host).
function Get-SortedText {
    param([Parameter(Position = 0)][object[]] $Items)
    [string[]] $texts = @($Items | ForEach-Object { "$_" })
    [Array]::Sort($texts, [StringComparer]::Ordinal)
    , $texts
}

# Starts a child PowerShell (the same program the tests run in) on a command, output redirected. $Environment entries
# are set in the child's environment ($null removes one). Returns the process.
function Start-ChildPowerShell {
    param([Parameter(Mandatory, Position = 0)][string] $Command, [hashtable] $Environment = @{}, [switch] $RedirectError)
    $program = $env:MGPRESENCE_PWSH_PROGRAM
    if (-not $program) { $program = [System.Environment]::ProcessPath }
    $start = [System.Diagnostics.ProcessStartInfo]::new($program)
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $Command) { $start.ArgumentList.Add($a) }
    foreach ($name in $Environment.Keys) {
        if ($null -eq $Environment[$name]) { $null = $start.Environment.Remove($name) } else { $start.Environment[$name] = $Environment[$name] }
    }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = [bool]$RedirectError
    [System.Diagnostics.Process]::Start($start)
}

# Runs a script block that must fail; returns the ErrorRecord (terminating or not).
function Get-ErrorFrom {
    param([Parameter(Mandatory, Position = 0)][scriptblock] $Body)
    $caught = $null
    try {
        $null = & $Body -ErrorAction Stop
    } catch {
        $caught = $_
    }
    if (-not $caught) { throw 'Expected an error, but the command succeeded' }
    $caught
}

function Write-TestSummary {
    $passed = @($script:Results | Where-Object Passed).Count
    $failed = @($script:Results | Where-Object { -not $_.Passed }).Count
    if ($failed -gt 0) {
        $Host.UI.WriteLine('Failed tests:')
        foreach ($r in ($script:Results | Where-Object { -not $_.Passed })) { $Host.UI.WriteLine("  $($r.Name): $($r.Message)") }
    }
    $Host.UI.WriteLine("PowerShell tests: $passed passed, $failed failed")
    $failed
}

# ---- The emulator, over loopback, as tests see it -------------------------------------------------------------------

$script:Http = [System.Net.Http.HttpClient]::new()

function ConvertFrom-JsonElement {
    param([Parameter(Mandatory, Position = 0)] $Element)
    switch ($Element.ValueKind) {
        'Object' {
            $table = [ordered]@{}
            foreach ($p in $Element.EnumerateObject()) { $table[$p.Name] = ConvertFrom-JsonElement $p.Value }
            return $table
        }
        'Array' { return , @(foreach ($item in $Element.EnumerateArray()) { ConvertFrom-JsonElement $item }) }
        'String' { return $Element.GetString() }
        'Number' { return $Element.GetDouble() }
        'True' { return $true }
        'False' { return $false }
        default { return $null }
    }
}

function Get-EmulatorRequest {
    $text = $script:Http.GetStringAsync("$script:EmulatorUrl/_emulator/requests").GetAwaiter().GetResult()
    $doc = [System.Text.Json.JsonDocument]::Parse($text)
    try { , @((ConvertFrom-JsonElement $doc.RootElement)['requests']) } finally { $doc.Dispose() }
}

function Clear-EmulatorRequest {
    $null = $script:Http.DeleteAsync("$script:EmulatorUrl/_emulator/requests").GetAwaiter().GetResult()
    $null = $script:Http.DeleteAsync("$script:EmulatorUrl/_emulator/faults").GetAwaiter().GetResult()
}

function Add-EmulatorFault {
    param([Parameter(Mandatory)][hashtable] $Fault)
    $json = [System.Text.Json.JsonSerializer]::Serialize($Fault, [hashtable], [System.Text.Json.JsonSerializerOptions]$null)
    $content = [System.Net.Http.StringContent]::new($json, [System.Text.Encoding]::UTF8, 'application/json')
    $response = $script:Http.PostAsync("$script:EmulatorUrl/_emulator/faults", $content).GetAwaiter().GetResult()
    if (-not $response.IsSuccessStatusCode) { throw "the emulator refused the fault: $($response.StatusCode)" }
}

# Each JSON member of a recorded body as "name=value", in wire order (a compact way to compare bodies).
function Format-Body {
    param([Parameter(Mandatory, Position = 0)] $Body)
    ($Body.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ';'
}

# Asserts that the emulator received exactly one request, and that it was this one. The body is compared as the JSON
# text the emulator recorded (member order included); $null means no body.
function Assert-Request {
    param(
        [Parameter(Mandatory, Position = 0)][string] $Method,
        [Parameter(Mandatory, Position = 1)][string] $Path,
        [Parameter(Position = 2)][string] $Query = '',
        [Parameter(Position = 3)][AllowNull()][string] $Body  # '' or $null: no body
    )
    $text = $script:Http.GetStringAsync("$script:EmulatorUrl/_emulator/requests").GetAwaiter().GetResult()
    $doc = [System.Text.Json.JsonDocument]::Parse($text)
    try {
        $requests = @($doc.RootElement.GetProperty('requests').EnumerateArray())
        if ($requests.Count -ne 1) { throw "Expected exactly one request, the emulator received $($requests.Count)" }
        $r = $requests[0]
        Assert-Equal $Method $r.GetProperty('method').GetString() 'method'
        Assert-Equal $Path $r.GetProperty('path').GetString() 'path'
        $q = $r.GetProperty('query')
        $actualQuery = if ($q.ValueKind -eq 'Null') { '' } else { $q.GetString() }
        Assert-Equal $Query $actualQuery 'query'
        $b = $r.GetProperty('body')
        $actualBody = if ($b.ValueKind -eq 'Null') { '' } else { $b.GetRawText() }
        if ($Body -cne $actualBody) { throw "Expected body <$Body> but the emulator received <$actualBody>" }
    } finally {
        $doc.Dispose()
    }
}

# Sends a Graph request straight to the emulator (test setup that is not the cmdlet under test).
function Invoke-EmulatorGraph {
    param([Parameter(Mandatory, Position = 0)][string] $Method, [Parameter(Mandatory, Position = 1)][string] $Path, [Parameter(Position = 2)][string] $Json)
    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), "$script:EmulatorUrl$Path")
    $request.Headers.Add('Authorization', 'Bearer test-setup')
    if ($Json) { $request.Content = [System.Net.Http.StringContent]::new($Json, [System.Text.Encoding]::UTF8, 'application/json') }
    $response = $script:Http.Send($request)
    if (-not $response.IsSuccessStatusCode) { throw "setup request $Method $Path failed: $($response.StatusCode)" }
}
