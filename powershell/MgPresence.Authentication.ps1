# Connection cmdlets with the names and parameters of Microsoft.Graph.Authentication, so scripts that connect before
# calling the presence cmdlets run unchanged. Supported today: the AccessTokenParameterSet of Connect-MgGraph, and
# custom environments (Add-MgEnvironment), which is how a script points at another endpoint such as the emulator.

function Connect-MgGraph {
<#
.SYNOPSIS
Connects to Microsoft Graph with an access token.
.DESCRIPTION
Connects the session to Microsoft Graph (or to a custom environment added with Add-MgEnvironment) with a bearer
access token. The token is kept by the engine in memory for this process only and is never written to output, logs
or error messages.
.PARAMETER AccessToken
The bearer access token, as a SecureString.
.PARAMETER Environment
The environment to connect to: Global (default), China, USGov, USGovDoD, or a custom one.
.PARAMETER ClientTimeout
The HTTP client timeout in seconds (default 300).
.PARAMETER NoWelcome
Hides the welcome message.
.EXAMPLE
Connect-MgGraph -AccessToken (ConvertTo-SecureString $token -AsPlainText -Force) -NoWelcome
.LINK
https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/connect-mggraph
#>
    [CmdletBinding(DefaultParameterSetName = 'AccessTokenParameterSet', PositionalBinding = $false)]
    param(
        [Parameter(ParameterSetName = 'AccessTokenParameterSet', Mandatory = $true, Position = 0)]
        [securestring] $AccessToken,

        [Parameter()]
        [Alias('EnvironmentName', 'NationalCloud')]
        [string] $Environment,

        [Parameter()]
        [double] $ClientTimeout,

        [Parameter()]
        [switch] $NoWelcome
    )
    process {
        [MgPresence.Runtime.Connection]::Connect($PSCmdlet, $AccessToken, $Environment, $ClientTimeout, $NoWelcome.IsPresent)
    }
}

function Disconnect-MgGraph {
<#
.SYNOPSIS
Forgets the connection and its access token.
.LINK
https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/disconnect-mggraph
#>
    [CmdletBinding()]
    param()
    process { [MgPresence.Runtime.Connection]::Disconnect($PSCmdlet) }
}

function Get-MgContext {
<#
.SYNOPSIS
Gets the current connection (nothing when not connected).
.LINK
https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/get-mgcontext
#>
    [CmdletBinding()]
    param()
    process { [MgPresence.Runtime.Connection]::WriteContext($PSCmdlet) }
}

function Add-MgEnvironment {
<#
.SYNOPSIS
Adds a custom environment: a Graph endpoint to connect to with Connect-MgGraph -Environment.
.DESCRIPTION
The Graph endpoint must use https, or http on a loopback address (127.0.0.1, ::1, localhost) such as the local
MgPresence emulator.
.EXAMPLE
Add-MgEnvironment -Name Emulator -GraphEndpoint http://127.0.0.1:5000 -AzureADEndpoint http://127.0.0.1:5000
.LINK
https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/add-mgenvironment
#>
    [CmdletBinding(PositionalBinding = $false)]
    param(
        [Parameter(Mandatory = $true)]
        [string] $Name,

        [Parameter(Mandatory = $true)]
        [string] $GraphEndpoint,

        [Parameter(Mandatory = $true)]
        [string] $AzureADEndpoint
    )
    process { [MgPresence.Runtime.Connection]::AddEnvironment($PSCmdlet, $Name, $GraphEndpoint, $AzureADEndpoint) }
}

function Get-MgEnvironment {
<#
.SYNOPSIS
Lists the environments (built-in national clouds and custom ones).
.LINK
https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/get-mgenvironment
#>
    [CmdletBinding(PositionalBinding = $false)]
    param(
        [Parameter()]
        [string] $Name
    )
    process { [MgPresence.Runtime.Connection]::WriteEnvironments($PSCmdlet, $Name) }
}

$script:MgPresenceAuthenticationNames = @('Connect-MgGraph', 'Disconnect-MgGraph', 'Get-MgContext', 'Add-MgEnvironment', 'Get-MgEnvironment')
