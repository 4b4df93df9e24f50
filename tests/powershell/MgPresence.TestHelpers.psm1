# What the Pester tests in tests/powershell share: the session every test file starts from (the module imported and
# connected to the emulator in any-token mode), the emulator over loopback (its request log, faults and control
# endpoints, Graph requests for test setup), and a child PowerShell for what one process cannot show.
# Each test file imports this module in its top-level BeforeAll and calls Initialize-TestSession.

$script:Http = [System.Net.Http.HttpClient]::new()
$script:EmulatorUrl = $null

# Imports the module under test into the global session state, adds the emulator as the environment "Emulator" and
# connects to it with an access token (the emulator accepts any token unless a test says otherwise). In the calling
# test file's scope it sets what every file starts from: $ErrorActionPreference = 'Stop' (Pester runs with
# Continue, and an error a cmdlet writes must fail the test), and the catalog's example ids (crates/catalog/src/
# examples.rs) as $userId and $appId.
function Initialize-TestSession {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string] $ModulePath, [Parameter(Mandatory)][string] $EmulatorUrl)
    $caller = $PSCmdlet.SessionState.PSVariable
    $caller.Set('ErrorActionPreference', 'Stop')
    $caller.Set('userId', 'fa8bf3dc-eca7-46b7-bad1-db199b62afc3')
    $caller.Set('appId', '22553876-f5ab-4529-bffb-cfe50aa89f87')
    $script:EmulatorUrl = $EmulatorUrl.TrimEnd('/')
    Import-Module $ModulePath -Global
    $null = Add-MgEnvironment -Name Emulator -GraphEndpoint $script:EmulatorUrl -AzureADEndpoint $script:EmulatorUrl
    Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword) -Environment Emulator -NoWelcome
}

# Texts in ordinal order, one by one (Sort-Object compares by culture and ignores case; these comparisons must not).
function Get-SortedText {
    param([Parameter(Position = 0)][object[]] $Items)
    [string[]] $texts = @($Items | ForEach-Object { "$_" })
    [Array]::Sort($texts, [StringComparer]::Ordinal)
    $texts
}

# The PowerShell program to start children with: MGPRESENCE_PWSH_PROGRAM (which xtask sets), else the one running.
function Get-ChildPowerShellProgram {
    if ($env:MGPRESENCE_PWSH_PROGRAM) { $env:MGPRESENCE_PWSH_PROGRAM } else { [System.Environment]::ProcessPath }
}

# Starts a child PowerShell (the program in MGPRESENCE_PWSH_PROGRAM, which xtask sets, else the one running) on a
# command, output redirected. $Environment entries are set in the child's environment ($null removes one). Returns
# the process.
function Start-ChildPowerShell {
    param([Parameter(Mandatory, Position = 0)][string] $Command, [hashtable] $Environment = @{}, [switch] $RedirectError)
    $program = Get-ChildPowerShellProgram
    $start = [System.Diagnostics.ProcessStartInfo]::new($program)
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $Command) { $start.ArgumentList.Add($a) }
    foreach ($name in $Environment.Keys) {
        if ($null -eq $Environment[$name]) { $null = $start.Environment.Remove($name) } else { $start.Environment[$name] = $Environment[$name] }
    }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = [bool]$RedirectError
    [System.Diagnostics.Process]::Start($start)
}

# ---- The emulator, over loopback, as tests see it -------------------------------------------------------------------

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

# The requests the emulator recorded since the last Clear-EmulatorRequest, oldest first, one by one: each an ordered
# dictionary (method, path, query, headers, body, …) plus bodyJson, the body as the JSON text received (member order
# included) or $null when there was none. Collect them with @(Get-EmulatorRequest): indexing a lone dictionary with
# [0] would give its first value.
function Get-EmulatorRequest {
    $text = $script:Http.GetStringAsync("$script:EmulatorUrl/_emulator/requests").GetAwaiter().GetResult()
    $doc = [System.Text.Json.JsonDocument]::Parse($text)
    try {
        foreach ($element in $doc.RootElement.GetProperty('requests').EnumerateArray()) {
            $request = ConvertFrom-JsonElement $element
            $body = $element.GetProperty('body')
            $request['bodyJson'] = if ($body.ValueKind -eq 'Null') { $null } else { $body.GetRawText() }
            $request
        }
    } finally {
        $doc.Dispose()
    }
}

# Empties the emulator's request log and removes its faults (every test starts so: BeforeEach in each file).
function Clear-EmulatorRequest {
    $null = $script:Http.DeleteAsync("$script:EmulatorUrl/_emulator/requests").GetAwaiter().GetResult()
    $null = $script:Http.DeleteAsync("$script:EmulatorUrl/_emulator/faults").GetAwaiter().GetResult()
}

function Add-EmulatorFault {
    param([Parameter(Mandatory)][hashtable] $Fault)
    $json = [System.Text.Json.JsonSerializer]::Serialize($Fault, [hashtable], [System.Text.Json.JsonSerializerOptions]$null)
    Invoke-EmulatorControl '/_emulator/faults' $json | Out-Null
}

# Sends to one of the emulator's control endpoints (/_emulator/…): POST with a JSON body, or GET without one. Returns
# the answer's text; a refusal is an error.
function Invoke-EmulatorControl {
    param([Parameter(Mandatory, Position = 0)][string] $Path, [Parameter(Position = 1)][string] $Json, [ValidateSet('GET', 'POST')][string] $Method = 'POST')
    $response = if ($Method -eq 'GET') {
        $script:Http.GetAsync("$script:EmulatorUrl$Path").GetAwaiter().GetResult()
    } else {
        $content = [System.Net.Http.StringContent]::new($Json, [System.Text.Encoding]::UTF8, 'application/json')
        $script:Http.PostAsync("$script:EmulatorUrl$Path", $content).GetAwaiter().GetResult()
    }
    if (-not $response.IsSuccessStatusCode) { throw "emulator control $Method $Path failed: $($response.StatusCode)" }
    $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
}

# Each JSON member of a recorded body as "name=value", in wire order (a compact way to compare bodies).
function Format-Body {
    param([Parameter(Mandatory, Position = 0)] $Body)
    ($Body.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ';'
}

# Sends a Graph request straight to the emulator, not through the module: returns the answer's status code and body
# text (what the service says to a request, whatever the status).
function Send-EmulatorGraph {
    param([Parameter(Mandatory, Position = 0)][string] $Method, [Parameter(Mandatory, Position = 1)][string] $Path, [Parameter(Position = 2)][string] $Json)
    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), "$script:EmulatorUrl$Path")
    $request.Headers.Add('Authorization', 'Bearer test-setup')
    if ($Json) { $request.Content = [System.Net.Http.StringContent]::new($Json, [System.Text.Encoding]::UTF8, 'application/json') }
    $response = $script:Http.Send($request)
    [pscustomobject]@{ Status = [int]$response.StatusCode; Body = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult() }
}

# Sends a Graph request straight to the emulator (test setup that is not the cmdlet under test); a refusal is an error.
function Invoke-EmulatorGraph {
    param([Parameter(Mandatory, Position = 0)][string] $Method, [Parameter(Mandatory, Position = 1)][string] $Path, [Parameter(Position = 2)][string] $Json)
    $answer = Send-EmulatorGraph $Method $Path $Json
    if ($answer.Status -ge 300) { throw "setup request $Method $Path failed: $($answer.Status)" }
}

# A self-signed certificate with an exportable RSA key, as an app registration would hold.
function New-TestCertificate {
    param([string] $Subject)
    $rsa = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new(
        $Subject, $rsa, [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $now = [DateTimeOffset]::UtcNow
    $ephemeral = $request.CreateSelfSigned($now.AddMinutes(-5), $now.AddDays(1))
    # Re-imported with an exportable, persisted key, as a certificate in a store would be.
    $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]'Exportable, PersistKeySet'
    [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($ephemeral.Export('Pfx', 'pw'), 'pw', $flags)
}

# Registers an app with the emulator's identity provider.
function Register-EmulatorApp {
    param([string] $ClientId, [string[]] $Roles, [string[]] $Secrets = @(), [string[]] $Certificates = @())
    $app = @{ clientId = $ClientId; displayName = $ClientId; roles = $Roles; secrets = $Secrets; certificates = $Certificates }
    Invoke-EmulatorControl '/_emulator/apps' ([System.Text.Json.JsonSerializer]::Serialize($app, [hashtable], [System.Text.Json.JsonSerializerOptions]$null)) | Out-Null
}

Export-ModuleMember -Function Initialize-TestSession, New-TestCertificate, Register-EmulatorApp, Get-SortedText, Get-ChildPowerShellProgram, Start-ChildPowerShell, Get-EmulatorRequest, Clear-EmulatorRequest,
    Add-EmulatorFault, Invoke-EmulatorControl, Format-Body, Send-EmulatorGraph, Invoke-EmulatorGraph
