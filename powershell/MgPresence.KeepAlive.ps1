# Keeping presence alive past the service's limits: an MgPresence addition (Microsoft's modules have none). These
# cmdlets work on the keep-alive store; `mgpresence agent run` (a service) renews what it holds. See docs/agent.md.

function Register-MgPresenceKeepAlive {
<#
.SYNOPSIS
Holds users' presence: the keep-alive agent renews it before it fades or expires, until removed or until -Until.
.DESCRIPTION
Adds a hold per user (piped objects with UserId, Availability, Activity and optionally SessionId and Until, as
Import-Csv gives them, or the parameters) to the keep-alive store, in one go: either all are added or none. An
Available hold needs a renewal every 5 minutes, others one every 4 hours; holds that would need more renewals than
the throttle allows (10,000 per 30 seconds per application) are refused with the numbers, unless -Force. The pairs
are setPresence's (Available/Available, Busy/InACall, Busy/InAConferenceCall, Away/Away, DoNotDisturb/Presenting).
.PARAMETER UserId
The user (object id or user principal name).
.PARAMETER SessionId
The presence session: the application's client id. By default the connected application's, or AZURE_CLIENT_ID.
.PARAMETER Availability
The availability to hold.
.PARAMETER Activity
The activity to hold.
.PARAMETER Until
When to stop holding; the presence is cleared then. A time of day (17:00) is today's.
.PARAMETER Force
Add the holds even when they do not fit the throttle budget (lapses will follow).
.PARAMETER StorePath
The store file; the user's default store when not given (the one mgpresence agent uses).
.EXAMPLE
Import-Csv ./agents.csv | Register-MgPresenceKeepAlive -Until 17:00
.EXAMPLE
Register-MgPresenceKeepAlive -UserId adele@contoso.com -Availability Busy -Activity InACall
#>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium', PositionalBinding = $false)]
    [OutputType('MgPresence.KeepAliveHold')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('Id', 'UserPrincipalName')]
        [string] $UserId,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [string] $SessionId,

        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [string] $Availability,

        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [string] $Activity,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [datetime] $Until,

        [Parameter()]
        [switch] $Force,

        [Parameter()]
        [string] $StorePath
    )
    begin { $holds = [System.Collections.Generic.List[object]]::new() }
    process {
        $session = if ($SessionId) { $SessionId } elseif ((Get-MgContext).ClientId) { (Get-MgContext).ClientId } else { $env:AZURE_CLIENT_ID }
        if (-not $session) {
            $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                [System.ArgumentException]::new('No -SessionId: give the application''s client id, connect with Connect-MgGraph, or set AZURE_CLIENT_ID.'),
                'KeepAliveSessionIdMissing', 'InvalidArgument', $UserId))
        }
        $hold = @{ UserId = $UserId; SessionId = $session; Availability = $Availability; Activity = $Activity }
        if ($PSBoundParameters.ContainsKey('Until')) { $hold['Until'] = $Until.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') }
        if ($PSCmdlet.ShouldProcess("$UserId ($session)", "Keep $Availability/$Activity")) { $holds.Add($hold) }
    }
    end {
        if ($holds.Count -gt 0) { [MgPresence.Runtime.KeepAliveInvoker]::Register($PSCmdlet, $holds, $Force.IsPresent, $StorePath) }
    }
}

function Unregister-MgPresenceKeepAlive {
<#
.SYNOPSIS
Stops holding users' presence.
.DESCRIPTION
Removes the holds of the piped or given users from the keep-alive store. Their presence is not cleared: it fades or
expires by the service's rules (use Clear-MgUserPresence to clear it now).
.PARAMETER UserId
The user (object id or user principal name).
.PARAMETER SessionId
The presence session: the application's client id. By default the connected application's, or AZURE_CLIENT_ID.
.PARAMETER StorePath
The store file; the user's default store when not given.
.PARAMETER PassThru
Writes the holds removed.
.EXAMPLE
Get-MgPresenceKeepAlive | Where-Object UserId -like '*@contoso.com' | Unregister-MgPresenceKeepAlive
#>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium', PositionalBinding = $false)]
    [OutputType('MgPresence.KeepAliveHold')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('Id', 'UserPrincipalName')]
        [string] $UserId,

        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [string] $SessionId,

        [Parameter()]
        [string] $StorePath,

        [Parameter()]
        [switch] $PassThru
    )
    begin { $holds = [System.Collections.Generic.List[object]]::new() }
    process {
        $session = if ($SessionId) { $SessionId } elseif ((Get-MgContext).ClientId) { (Get-MgContext).ClientId } else { $env:AZURE_CLIENT_ID }
        if ($PSCmdlet.ShouldProcess("$UserId ($session)", 'Stop keeping presence')) { $holds.Add(@{ UserId = $UserId; SessionId = $session }) }
    }
    end {
        if ($holds.Count -gt 0) { [MgPresence.Runtime.KeepAliveInvoker]::Unregister($PSCmdlet, $holds, $StorePath, $PassThru.IsPresent) }
    }
}

function Get-MgPresenceKeepAlive {
<#
.SYNOPSIS
Lists the keep-alive holds, with each one's next renewal, last result and lapses.
.PARAMETER UserId
Only the holds of users that match (wildcards allowed).
.PARAMETER StorePath
The store file; the user's default store when not given.
.EXAMPLE
Get-MgPresenceKeepAlive | Where-Object Lapses -gt 0
#>
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('MgPresence.KeepAliveHold')]
    param(
        [Parameter()]
        [SupportsWildcards()]
        [string] $UserId = '*',

        [Parameter()]
        [string] $StorePath
    )
    [MgPresence.Runtime.KeepAliveInvoker]::List($PSCmdlet, $StorePath) | Where-Object { $_.UserId -like $UserId }
}
