<#
.SYNOPSIS
An Azure Automation runbook (PowerShell 7.4 runtime environment): sets a user's presence with the Automation
account's managed identity and reads it back.
.DESCRIPTION
In Azure Automation, MgPresence is imported from MgPresence-<version>.zip (Modules / Runtime environments) and
the sandbox sets IDENTITY_ENDPOINT and IDENTITY_HEADER, which Connect-MgGraph -Identity reads. The module is not
imported by the runbook: Connect-MgGraph loads it from the module path, as Automation does. The identity needs the
Graph application permission Presence.ReadWrite.All. tests/package/AutomationRunbook.Tests.ps1 runs this file with
-GraphEndpoint pointing at the emulator.
#>
param(
    [Parameter(Mandatory = $true)]
    [string] $UserId,

    # Checked by Set-MgUserPresence (the valid pairs live in the module), not here.
    [string] $Availability = 'Busy',

    [string] $Activity = 'InACall',

    [TimeSpan] $ExpirationDuration = [TimeSpan]::FromHours(1),

    # Where Graph and the identity provider are; empty for Microsoft's global cloud.
    [string] $GraphEndpoint
)

$ErrorActionPreference = 'Stop'

$connect = @{ Identity = $true; NoWelcome = $true }
if ($GraphEndpoint) {
    $null = Add-MgEnvironment -Name RunbookGraph -GraphEndpoint $GraphEndpoint -AzureADEndpoint $GraphEndpoint
    $connect.Environment = 'RunbookGraph'
}
Connect-MgGraph @connect
$context = Get-MgContext

# A presence session belongs to an application: the identity's client id.
$sessionId = if ($context.ClientId) { $context.ClientId } else { [guid]::NewGuid().ToString() }
Set-MgUserPresence -UserId $UserId -SessionId $sessionId -Availability $Availability -Activity $Activity -ExpirationDuration $ExpirationDuration
$presence = Get-MgUserPresence -UserId $UserId

[pscustomobject]@{
    UserId       = $presence.Id
    Availability = $presence.Availability
    Activity     = $presence.Activity
    AuthType     = "$($context.AuthType)"
    ClientId     = $context.ClientId
    ModuleBase   = (Get-Module MgPresence).ModuleBase
} | ConvertTo-Json -Compress
