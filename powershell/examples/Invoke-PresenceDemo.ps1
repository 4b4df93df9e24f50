<#
.SYNOPSIS
The module's main job, end to end: import MgPresence, connect to a Graph endpoint (here the local emulator), set a
user's presence as an application, and read it back.
.DESCRIPTION
`cargo xtask demo` starts the emulator and runs this script in PowerShell 7. Against the real service, leave out Add-MgEnvironment and -Environment and pass a real
token.
.EXAMPLE
./Invoke-PresenceDemo.ps1 -ModulePath ../../out/module/MgPresence/MgPresence.psd1 -EmulatorUrl http://127.0.0.1:5000
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string] $ModulePath,

    [Parameter(Mandatory = $true)]
    [string] $EmulatorUrl
)

$ErrorActionPreference = 'Stop'

$clock = [System.Diagnostics.Stopwatch]::StartNew()
Import-Module $ModulePath
$imported = $clock.Elapsed.TotalMilliseconds
$Host.UI.WriteLine(('Imported MgPresence {0} in {1:N0} ms: {2} commands' -f
    (Get-Module MgPresence).Version, $imported, (Get-Command -Module MgPresence).Count))

# Point the session at the emulator the way Microsoft's module points at any custom cloud, and sign in as the
# emulator's demo application (client credentials; docs/emulator.md lists the demo directory).
$null = Add-MgEnvironment -Name MgPresenceEmulator -GraphEndpoint $EmulatorUrl -AzureADEndpoint $EmulatorUrl
$demoApp = [pscredential]::new('5e3ce6c0-2b1f-4285-8d4b-75ee78787346',
    [System.Net.NetworkCredential]::new('', 'mgpresence-emulator-demo-secret').SecurePassword)
Connect-MgGraph -ClientSecretCredential $demoApp -TenantId '00000000-0000-0000-0000-00000000c0de' -Environment MgPresenceEmulator -NoWelcome
$context = Get-MgContext
$Host.UI.WriteLine("Connected: $($context.AuthType) / $($context.TokenCredentialType) as $($context.ClientId), scopes $($context.Scopes -join ', ')")

$userId = 'fa8bf3dc-eca7-46b7-bad1-db199b62afc3'
$clientId = '22553876-f5ab-4529-bffb-cfe50aa89f87'

$Host.UI.WriteLine("Set-MgUserPresence: Busy / InACall for 1 hour as application $clientId")
$ok = Set-MgUserPresence -UserId $userId -SessionId $clientId -Availability Busy -Activity InACall `
    -ExpirationDuration ([TimeSpan]::FromHours(1)) -PassThru -ResponseHeadersVariable headers
$Host.UI.WriteLine("  -PassThru: $ok; request-id: $($global:headers['request-id'])")

$Host.UI.WriteLine('Get-MgUserPresence:')
$presence = Get-MgUserPresence -UserId $userId
$presence | Out-Default
$Host.UI.WriteLine("  sequenceNumber: $($presence.AdditionalProperties['sequenceNumber'])")

$Host.UI.WriteLine('An unsupported pair is refused before anything is sent:')
try {
    Set-MgUserPresence -UserId $userId -SessionId $clientId -Availability DoNotDisturb -Activity OutOfOffice -ErrorAction Stop
} catch {
    $Host.UI.WriteLine("  $($_.FullyQualifiedErrorId): $($_.Exception.Message)")
}
