# Bulk presence updates through JSON $batch: an MgPresence addition (Microsoft's modules have none). The
# Microsoft-compatible cmdlets keep their one-call-per-item behaviour; this is the one to pipe thousands of users to.

function Invoke-MgBulkUserPresence {
<#
.SYNOPSIS
Sets or clears the presence of many users at once, through JSON batching that respects throttling.
.DESCRIPTION
Collects the piped items (objects or hashtables with UserId, e.g. from Import-Csv), then sends one request per user
through Graph's $batch (20 per batch, -ThrottleLimit batches in flight). Requests the service throttles (429) or
cannot serve (503, 504) are sent again after their Retry-After. Every user gets an outcome object (UserId,
Succeeded, Status, ErrorCode, ErrorMessage, Attempts): nothing fails unseen. Per-item properties (SessionId,
Availability, Activity, ExpirationDuration) override the parameters. Ctrl+C stops the run and reports what was
applied.
.PARAMETER InputObject
An object or hashtable with UserId (or Id), and optionally per-user SessionId, Availability, Activity and
ExpirationDuration.
.PARAMETER Action
SetPresence (default), ClearPresence, SetUserPreferredPresence or ClearUserPreferredPresence.
.PARAMETER SessionId
The application's presence session id, for every user that has none of its own.
.PARAMETER Availability
The availability, for every user that has none of its own.
.PARAMETER Activity
The activity, for every user that has none of its own.
.PARAMETER ExpirationDuration
How long the presence (session) lasts, for every user that has none of its own.
.PARAMETER Beta
Use the beta API.
.PARAMETER ThrottleLimit
How many batches are in flight at once (1 to 16, default 4).
.EXAMPLE
Import-Csv ./agents.csv | Invoke-MgBulkUserPresence -SessionId $clientId -Availability Busy -Activity InACall
.EXAMPLE
$users | Invoke-MgBulkUserPresence -Action ClearPresence -SessionId $clientId | Where-Object { -not $_.Succeeded }
#>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium', PositionalBinding = $false)]
    [OutputType('MgPresence.BulkOutcome')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipeline = $true)]
        [object] $InputObject,

        [Parameter()]
        [ValidateSet('SetPresence', 'ClearPresence', 'SetUserPreferredPresence', 'ClearUserPreferredPresence')]
        [string] $Action = 'SetPresence',

        [Parameter()]
        [string] $SessionId,

        [Parameter()]
        [string] $Availability,

        [Parameter()]
        [string] $Activity,

        [Parameter()]
        [System.TimeSpan] $ExpirationDuration,

        [Parameter()]
        [switch] $Beta,

        [Parameter()]
        [ValidateRange(1, 16)]
        [int] $ThrottleLimit = 4
    )
    begin { $items = [System.Collections.Generic.List[object]]::new() }
    process { $items.Add($InputObject) }
    end {
        $parameters = [System.Collections.Hashtable]::new($PSBoundParameters)
        $parameters['ThrottleLimit'] = $ThrottleLimit
        [MgPresence.Runtime.BulkInvoker]::Invoke($PSCmdlet, $items, $Action, $parameters)
    }
}
