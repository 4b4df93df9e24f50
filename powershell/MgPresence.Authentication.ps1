# Connection cmdlets with the names and parameters of Microsoft.Graph.Authentication, so scripts that connect before
# calling the presence cmdlets run unchanged. Supported today: the AccessTokenParameterSet of Connect-MgGraph, and
# custom environments (Add-MgEnvironment), which is how a script points at another endpoint such as the emulator.

function Connect-MgGraph {
<#
.SYNOPSIS
Connects to Microsoft Graph.
.DESCRIPTION
Signs in with the parameter set's credential. The Rust engine gets and refreshes the tokens; secrets and tokens never
appear in output, logs or error messages. A user's sign-in is kept for the next session (-ContextScope CurrentUser,
the default) in ~/.mg/mgpresence.tokencache: encrypted for the user on Windows, readable by the user only elsewhere.
Supported: -Scopes (a user, through the browser, or with a device code where no browser can be opened or with
-UseDeviceCode); -AccessToken; -ClientSecretCredential (user name = client id) with -TenantId; -ClientId and -TenantId with
-Certificate, -CertificateThumbprint or -CertificateName (the current user's "My" store); -Identity (managed identity
through IDENTITY_ENDPOINT/IDENTITY_HEADER, or the instance metadata endpoint); -EnvironmentVariable (AZURE_CLIENT_ID,
AZURE_TENANT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH).
.PARAMETER Scopes
Delegated permissions to sign in the user with. The browser opens for the sign-in (the command BROWSER names, if set);
where no browser can be opened, a device code is used: the message says where to go and which code to enter.
.PARAMETER UseDeviceCode
Sign in the user with a device code, not the browser.
.PARAMETER AccessToken
A bearer access token, as a SecureString.
.PARAMETER ClientSecretCredential
The application's client id (user name) and client secret (password).
.PARAMETER ClientId
The application (client) id; with -Identity, the client id of a user-assigned managed identity.
.PARAMETER TenantId
The tenant id or domain.
.PARAMETER Certificate
The certificate (with its private key) the application signs in with.
.PARAMETER CertificateThumbprint
The thumbprint of a certificate in the current user's certificate store.
.PARAMETER CertificateSubjectName
The subject name of a certificate in the current user's certificate store.
.PARAMETER Identity
Sign in with the managed identity of the environment.
.PARAMETER EnvironmentVariable
Sign in with the AZURE_* environment variables.
.PARAMETER Environment
The environment to connect to: Global (default), China, USGov, USGovDoD, or one added with Add-MgEnvironment.
.PARAMETER ClientTimeout
The HTTP client timeout in seconds (default 300).
.PARAMETER ContextScope
CurrentUser (the default for a user's sign-in) keeps the sign-in for the next session, so the next Connect-MgGraph for
the same environment, app and tenant needs no user; Disconnect-MgGraph removes it. Process keeps it for this process
only. The app sign-ins (secret, certificate, managed identity, access token) are kept for the process.
.PARAMETER NoWelcome
Hides the welcome message.
.EXAMPLE
Connect-MgGraph -ClientSecretCredential $credential -TenantId $tenantId -NoWelcome
.EXAMPLE
Connect-MgGraph -Identity
.LINK
https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/connect-mggraph
#>
    [CmdletBinding(DefaultParameterSetName = 'UserParameterSet', PositionalBinding = $false)]
    param(
        [Parameter(ParameterSetName = 'UserParameterSet', Position = 0)]
        [string[]] $Scopes,

        [Parameter(ParameterSetName = 'UserParameterSet')]
        [Alias('UseDeviceAuthentication', 'DeviceCode', 'DeviceAuth', 'Device')]
        [switch] $UseDeviceCode,

        [Parameter(ParameterSetName = 'AccessTokenParameterSet', Mandatory = $true, Position = 0)]
        [securestring] $AccessToken,

        [Parameter(ParameterSetName = 'AppSecretCredentialParameterSet', Mandatory = $true)]
        [Alias('SecretCredential', 'Credential')]
        [pscredential] $ClientSecretCredential,

        [Parameter(ParameterSetName = 'AppCertificateParameterSet', Mandatory = $true, Position = 0)]
        [Parameter(ParameterSetName = 'IdentityParameterSet')]
        [Parameter(ParameterSetName = 'UserParameterSet')]
        [Alias('AppId', 'ApplicationId')]
        [string] $ClientId,

        [Parameter(ParameterSetName = 'AppCertificateParameterSet', Mandatory = $true)]
        [Parameter(ParameterSetName = 'AppSecretCredentialParameterSet', Mandatory = $true)]
        [Parameter(ParameterSetName = 'UserParameterSet')]
        [Alias('Audience', 'Tenant')]
        [string] $TenantId,

        [Parameter(ParameterSetName = 'AppCertificateParameterSet', Position = 1)]
        [Alias('CertificateSubject', 'CertificateName')]
        [string] $CertificateSubjectName,

        [Parameter(ParameterSetName = 'AppCertificateParameterSet', Position = 2)]
        [string] $CertificateThumbprint,

        [Parameter(ParameterSetName = 'AppCertificateParameterSet')]
        [System.Security.Cryptography.X509Certificates.X509Certificate2] $Certificate,

        [Parameter(ParameterSetName = 'IdentityParameterSet', Mandatory = $true)]
        [Alias('ManagedIdentity', 'ManagedServiceIdentity', 'MSI')]
        [switch] $Identity,

        [Parameter(ParameterSetName = 'EnvironmentVariableParameterSet', Mandatory = $true)]
        [switch] $EnvironmentVariable,

        [Parameter()]
        [Alias('EnvironmentName', 'NationalCloud')]
        [string] $Environment,

        [Parameter()]
        [double] $ClientTimeout,

        [Parameter()]
        [ValidateSet('Process', 'CurrentUser')]
        [string] $ContextScope,

        [Parameter()]
        [switch] $NoWelcome
    )
    process {
        if ($PSCmdlet.ParameterSetName -eq 'AppCertificateParameterSet' -and -not ($Certificate -or $CertificateThumbprint -or $CertificateSubjectName)) {
            $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                [System.ArgumentException]::new('Specify -Certificate, -CertificateThumbprint or -CertificateName.'),
                'CertificateRequired', [System.Management.Automation.ErrorCategory]::InvalidArgument, $null))
        }
        [MgPresence.Runtime.Connection]::Connect($PSCmdlet, $PSBoundParameters)
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
MgPresence emulator. It is the service root without an API version (https://graph.microsoft.com, not
https://graph.microsoft.com/v1.0): each cmdlet adds /v1.0 or /beta itself.
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

function Set-MgRequestContext {
<#
.SYNOPSIS
Sets how requests are retried when the service throttles (429) or is unavailable (503, 504).
.PARAMETER MaxRetry
Retries after the first attempt (default 3, at most 10).
.PARAMETER RetryDelay
The first backoff delay in seconds when the service sends no Retry-After (default 3, at most 180); it doubles, with
jitter, for each retry.
.PARAMETER RetriesTimeLimit
The most seconds all the waits of one request may add up to (0, the default, for no limit).
.LINK
https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/set-mgrequestcontext
#>
    [CmdletBinding(SupportsShouldProcess = $true, PositionalBinding = $false)]
    param(
        [Parameter()]
        [ValidateRange(0, 10)]
        [int] $MaxRetry,

        [Parameter()]
        [ValidateRange(0, 180)]
        [int] $RetryDelay,

        [Parameter()]
        [ValidateRange(0, 86400)]
        [int] $RetriesTimeLimit
    )
    process {
        if ($PSCmdlet.ShouldProcess('request context', 'Set')) {
            [MgPresence.Runtime.Connection]::SetRequestContext($PSCmdlet, $PSBoundParameters)
        }
    }
}

function Get-MgRequestContext {
<#
.SYNOPSIS
Gets the retry settings (MaxRetry, RetryDelay, RetriesTimeLimit).
.LINK
https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/get-mgrequestcontext
#>
    [CmdletBinding()]
    param()
    process { [MgPresence.Runtime.Connection]::WriteRequestContext($PSCmdlet) }
}
