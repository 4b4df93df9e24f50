# Pester tests of Connect-MgGraph's parameter sets, end to end against the emulator as identity provider, with the
# emulator requiring the tokens it issues. Run by Invoke-MgPresenceTests.ps1, which passes the module's path and the
# emulator's URL; the file leaves the emulator and the session as it found them (any-token emulator, access-token
# connection).
param([string] $ModulePath, [string] $EmulatorUrl)

BeforeAll {
    Import-Module "$PSScriptRoot/MgPresence.TestHelpers.psm1"
    Initialize-TestSession -ModulePath $ModulePath -EmulatorUrl $EmulatorUrl
    $demoAppId = '5e3ce6c0-2b1f-4285-8d4b-75ee78787346'
    $demoSecret = 'mgpresence-emulator-demo-secret'

    function Set-PresenceOnce {
        Set-MgUserPresence -UserId 'signed-in-call' -SessionId $appId -Availability Away -Activity Away -PassThru
    }
}

Describe 'Add-MgEnvironment' {
    It 'refuses a GraphEndpoint that ends in the API version, with the root to give, and adds nothing' {
        $err = { Add-MgEnvironment -Name Versioned -GraphEndpoint "$EmulatorUrl/v1.0" -AzureADEndpoint $EmulatorUrl -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidEnvironment,*'
        $err.Exception.Message | Should -BeLike "*ends in the API version 'v1.0'*('$EmulatorUrl')*"
        Get-MgEnvironment | Where-Object Name -EQ Versioned | Should -BeNullOrEmpty
    }
}

Describe 'Connect-MgGraph sign-in' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    BeforeAll {
        $tenantId = (Invoke-EmulatorControl '/_emulator/auth' -Method GET | ConvertFrom-Json).tenantId
        $secretCredential = [pscredential]::new($demoAppId, [System.Net.NetworkCredential]::new('', $demoSecret).SecurePassword)
        $certificate = New-TestCertificate 'CN=MgPresence Test App'
        Register-EmulatorApp -ClientId 'cert-app' -Roles 'Presence.ReadWrite.All' -Certificates $certificate.ExportCertificatePem()
        Invoke-EmulatorControl '/_emulator/auth' '{"requireIssuedTokens":true}' | Out-Null
    }

    AfterAll {
        Invoke-EmulatorControl '/_emulator/auth' '{"requireIssuedTokens":false}' | Out-Null
        Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword) -Environment Emulator -NoWelcome
    }

    It 'a token the emulator did not issue is refused with 401' {
        Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'made-up-token').SecurePassword) -Environment Emulator -NoWelcome
        $err = { Set-PresenceOnce } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidAuthenticationToken,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation' -Because "Microsoft's cmdlets give every service error that category"
    }

    It 'AppSecretCredential: client id and secret, then a presence call' {
        $welcome = @(Connect-MgGraph -ClientSecretCredential $secretCredential -TenantId $tenantId -Environment Emulator)
        $welcome -join "`n" | Should -BeLikeExactly "*Connected via clientsecret access using $demoAppId*"
        $context = Get-MgContext
        $context.AuthType | Should -BeExactly 'AppOnly'
        $context.TokenCredentialType | Should -BeExactly 'ClientSecret'
        $context.ClientId | Should -BeExactly $demoAppId
        $context.TenantId | Should -BeExactly $tenantId
        @($context.Scopes) | Should -Contain 'Presence.ReadWrite.All'
        Set-PresenceOnce | Should -Be $true
        @(Get-EmulatorRequest)[0].headers['authorization'] | Should -BeLike 'Bearer *'
    }

    It 'a revoked token gives one retry and then a clear error; an expired one is refreshed after one 401' {
        Connect-MgGraph -ClientSecretCredential $secretCredential -TenantId $tenantId -Environment Emulator -NoWelcome
        Set-PresenceOnce | Should -Be $true
        # Revocation covers every token issued up to five seconds from now, so the fresh one of the retry is refused
        # whichever second it is issued in.
        Invoke-EmulatorControl '/_emulator/tokens/revoke' '{"through":"PT5S"}' | Out-Null
        try {
            Clear-EmulatorRequest
            $err = { Set-PresenceOnce } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'InvalidAuthenticationToken,*'
            $err.Exception.Message | Should -BeLikeExactly '*revoked*'
            @(Get-EmulatorRequest) | Should -HaveCount 2 -Because 'a 401 gets one retry, no more'
        } finally {
            # Past the revoked seconds, so the tokens of the later tests are valid even when this one fails.
            Invoke-EmulatorControl '/_emulator/clock' '{"advance":"PT7S"}' | Out-Null
        }

        Connect-MgGraph -ClientSecretCredential $secretCredential -TenantId $tenantId -Environment Emulator -NoWelcome
        Invoke-EmulatorControl '/_emulator/clock' '{"advance":"PT61M"}' | Out-Null
        try {
            Clear-EmulatorRequest
            Set-PresenceOnce | Should -Be $true
            @(Get-EmulatorRequest) | Should -HaveCount 2 -Because 'the 401 is followed by the retry with a fresh token'
        } finally {
            # Client assertions are dated by the real clock; keep the emulator's clock near it.
            Invoke-EmulatorControl '/_emulator/clock' '{"advance":"-PT61M"}' | Out-Null
        }
    }

    It 'a wrong secret fails at Connect-MgGraph with the identity provider''s reason, not the secret' {
        $wrong = [pscredential]::new($demoAppId, [System.Net.NetworkCredential]::new('', 'wrong-secret-value').SecurePassword)
        $err = { Connect-MgGraph -ClientSecretCredential $wrong -TenantId $tenantId -Environment Emulator -NoWelcome } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
        $err.Exception.Message | Should -BeLikeExactly '*invalid_client*'
        $err.Exception.Message | Should -Not -BeLikeExactly '*wrong-secret-value*' -Because 'the secret is not in the error'
    }

    It 'AppCertificate with -Certificate' {
        Connect-MgGraph -ClientId 'cert-app' -TenantId $tenantId -Certificate $certificate -Environment Emulator -NoWelcome
        (Get-MgContext).TokenCredentialType | Should -BeExactly 'ClientCertificate'
        Set-PresenceOnce | Should -Be $true
    }

    It 'AppCertificate with -CertificateThumbprint and -CertificateName from the current user''s store' {
        $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
        $store.Open('ReadWrite')
        $store.Add($certificate)
        try {
            Connect-MgGraph -ClientId 'cert-app' -TenantId $tenantId -CertificateThumbprint $certificate.Thumbprint -Environment Emulator -NoWelcome
            Set-PresenceOnce | Should -Be $true
            Connect-MgGraph -ClientId 'cert-app' -TenantId $tenantId -CertificateName 'CN=MgPresence Test App' -Environment Emulator -NoWelcome
            Set-PresenceOnce | Should -Be $true
        } finally {
            $store.Remove($certificate)
            $store.Close()
        }
        $err = { Connect-MgGraph -ClientId 'cert-app' -TenantId $tenantId -CertificateThumbprint ('00' * 20) -Environment Emulator -NoWelcome } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'CertificateNotFound,*'
    }

    It 'Identity: the managed identity through IDENTITY_ENDPOINT and IDENTITY_HEADER' {
        $env:IDENTITY_ENDPOINT = "$EmulatorUrl/msi/token"
        $env:IDENTITY_HEADER = 'mgpresence-emulator-identity-header'
        try {
            Connect-MgGraph -Identity -Environment Emulator -NoWelcome
            (Get-MgContext).AuthType | Should -BeExactly 'ManagedIdentity'
            Set-PresenceOnce | Should -Be $true
        } finally {
            $env:IDENTITY_ENDPOINT = $null
            $env:IDENTITY_HEADER = $null
        }
    }

    It 'Identity: the instance metadata endpoint when there is no IDENTITY_ENDPOINT' {
        $env:IMDS_ENDPOINT = $EmulatorUrl
        try {
            Connect-MgGraph -ManagedIdentity -Environment Emulator -NoWelcome
            Set-PresenceOnce | Should -Be $true
        } finally {
            $env:IMDS_ENDPOINT = $null
        }
    }

    It 'EnvironmentVariable: a client secret, then a certificate file' {
        $env:AZURE_CLIENT_ID = $demoAppId; $env:AZURE_TENANT_ID = $tenantId; $env:AZURE_CLIENT_SECRET = $demoSecret
        $pfx = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), "mgpresence-test-$PID.pfx")
        try {
            Connect-MgGraph -EnvironmentVariable -Environment Emulator -NoWelcome
            (Get-MgContext).TokenCredentialType | Should -BeExactly 'ClientSecret'
            Set-PresenceOnce | Should -Be $true
            [System.IO.File]::WriteAllBytes($pfx, $certificate.Export('Pfx', 'file-pw'))
            $env:AZURE_CLIENT_SECRET = $null; $env:AZURE_CLIENT_ID = 'cert-app'
            $env:AZURE_CLIENT_CERTIFICATE_PATH = $pfx; $env:AZURE_CLIENT_CERTIFICATE_PASSWORD = 'file-pw'
            Connect-MgGraph -EnvironmentVariable -Environment Emulator -NoWelcome
            (Get-MgContext).TokenCredentialType | Should -BeExactly 'ClientCertificate'
            Set-PresenceOnce | Should -Be $true
        } finally {
            foreach ($name in 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD') {
                [Environment]::SetEnvironmentVariable($name, $null)
            }
            [System.IO.File]::Delete($pfx)
        }
        $err = { Connect-MgGraph -EnvironmentVariable -Environment Emulator -NoWelcome } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'EnvironmentNotConfigured,*'
    }

    It 'a user signs in with a device code (-Scopes -UseDeviceCode) and calls as themselves' {
        $child = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModulePath'
`$null = Add-MgEnvironment -Name Emulator -GraphEndpoint '$EmulatorUrl' -AzureADEndpoint '$EmulatorUrl'
Connect-MgGraph -Scopes Presence.ReadWrite -ClientId '$demoAppId' -TenantId '$tenantId' -UseDeviceCode -ContextScope Process -Environment Emulator -NoWelcome
`$context = Get-MgContext
`$Host.UI.WriteLine("context: `$(`$context.AuthType) `$(`$context.TokenCredentialType) `$(`$context.Account) `$(`$context.Scopes)")
`$ok = Set-MgUserPresence -UserId '00000000-0000-0000-0000-0000000000a1' -SessionId '$appId' -Availability Away -Activity Away -PassThru
`$Host.UI.WriteLine("set: `$ok")
"@
        $process = Start-ChildPowerShell $child -RedirectError
        try {
            $line = $process.StandardOutput.ReadLine()
            "$line" | Should -BeLikeExactly '*enter the code*'
            $userCode = [regex]::Match($line, 'enter the code (\S+) to').Groups[1].Value
            Invoke-EmulatorControl '/_emulator/devicecode/complete' ('{"userCode":"' + $userCode + '","userId":"adele.vance@contoso.example"}') | Out-Null
            # Both streams read at once: a child that fills one pipe while the other is read to its end would hang.
            $stdout, $stderr = $process.StandardOutput.ReadToEndAsync(), $process.StandardError.ReadToEndAsync()
            $rest = $stdout.GetAwaiter().GetResult() + $stderr.GetAwaiter().GetResult()
            $process.WaitForExit(60000) | Should -BeTrue -Because 'the sign-in finished'
            $process.ExitCode | Should -Be 0 -Because "the child's output was: $rest"
            $rest | Should -BeLikeExactly '*context: Delegated DeviceCode adele.vance@contoso.example Presence.ReadWrite*'
            $rest | Should -BeLikeExactly '*set: True*'
        } finally {
            if (-not $process.HasExited) { $process.Kill($true) }
        }
    }

    It 'a user signs in through the browser (-Scopes), which the emulator''s /authorize sends back with a code' {
        # The browser BROWSER names: here a PowerShell that follows the sign-in address and its redirect, as a browser
        # whose user is already signed in would.
        $browser = Join-Path $TestDrive 'browser.ps1'
        Set-Content -Path $browser -Value 'param($Url) $http = [System.Net.Http.HttpClient]::new(); $null = $http.GetAsync($Url).GetAwaiter().GetResult()'
        Invoke-EmulatorControl '/_emulator/authorize/user' '{"userId":"adele.vance@contoso.example"}' | Out-Null
        $env:BROWSER = "$(Get-ChildPowerShellProgram) -NoProfile -NonInteractive -File $browser %s"
        try {
            Connect-MgGraph -Scopes Presence.ReadWrite -ClientId $demoAppId -TenantId $tenantId -ContextScope Process -Environment Emulator -NoWelcome
        } finally {
            Remove-Item Env:BROWSER
        }
        $context = Get-MgContext
        "$($context.AuthType) $($context.TokenCredentialType) $($context.Account)" | Should -BeExactly 'Delegated InteractiveBrowser adele.vance@contoso.example'
        Set-MgUserPresence -UserId '00000000-0000-0000-0000-0000000000a1' -SessionId $appId -Availability Busy -Activity InACall -PassThru | Should -BeTrue
        (Get-MgUserPresence -UserId '00000000-0000-0000-0000-0000000000a1').Availability | Should -BeExactly 'Busy'
    }

    It 'without a browser to open, -Scopes signs in with a device code, as Microsoft''s module does' {
        $child = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModulePath'
`$null = Add-MgEnvironment -Name Emulator -GraphEndpoint '$EmulatorUrl' -AzureADEndpoint '$EmulatorUrl'
Connect-MgGraph -Scopes Presence.ReadWrite -ClientId '$demoAppId' -TenantId '$tenantId' -ContextScope Process -Environment Emulator -NoWelcome -ClientTimeout 10
"@
        $process = Start-ChildPowerShell $child -Environment @{ BROWSER = $null; DISPLAY = $null; WAYLAND_DISPLAY = $null } -RedirectError
        try {
            $process.StandardOutput.ReadLine() | Should -BeLikeExactly '*enter the code*'
        } finally {
            if (-not $process.HasExited) { $process.Kill($true) }
        }
    }

    It '-ContextScope CurrentUser keeps the sign-in for the next session, readable by the user only; Disconnect-MgGraph removes it' {
        # Each session is a child PowerShell with its own profile directory, as two sessions of one user.
        $profileDirectory = Join-Path $TestDrive 'profile'
        $null = New-Item -ItemType Directory -Path $profileDirectory
        $session = @{ HOME = $profileDirectory; USERPROFILE = $profileDirectory; BROWSER = $null; DISPLAY = $null; WAYLAND_DISPLAY = $null }
        $connect = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModulePath'
`$null = Add-MgEnvironment -Name Emulator -GraphEndpoint '$EmulatorUrl' -AzureADEndpoint '$EmulatorUrl'
Connect-MgGraph -Scopes Presence.ReadWrite -ClientId '$demoAppId' -TenantId '$tenantId' -UseDeviceCode -Environment Emulator -NoWelcome
`$Host.UI.WriteLine("scope: `$((Get-MgContext).ContextScope)")
`$Host.UI.WriteLine("set: `$(Set-MgUserPresence -UserId '00000000-0000-0000-0000-0000000000a1' -SessionId '$appId' -Availability Away -Activity Away -PassThru)")
"@
        $first = Start-ChildPowerShell $connect -Environment $session -RedirectError
        try {
            $line = $first.StandardOutput.ReadLine()
            $userCode = [regex]::Match("$line", 'enter the code (\S+) to').Groups[1].Value
            $userCode | Should -Not -BeNullOrEmpty -Because "the first session signs in with a device code: $line"
            Invoke-EmulatorControl '/_emulator/devicecode/complete' ('{"userCode":"' + $userCode + '","userId":"adele.vance@contoso.example"}') | Out-Null
            $out, $err = $first.StandardOutput.ReadToEndAsync(), $first.StandardError.ReadToEndAsync()
            $rest = $out.GetAwaiter().GetResult() + $err.GetAwaiter().GetResult()
            $first.WaitForExit(60000) | Should -BeTrue
            $rest | Should -BeLikeExactly '*scope: CurrentUser*set: True*'
        } finally {
            if (-not $first.HasExited) { $first.Kill($true) }
        }
        $cache = Join-Path $profileDirectory '.mg/mgpresence.tokencache'
        Test-Path $cache | Should -BeTrue
        if (-not $IsWindows) {
            (Get-Item -Force $cache).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
            (Get-Item -Force (Split-Path $cache)).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        }

        # The next session: the same Connect-MgGraph signs in without the user (no code is asked for).
        $second = Start-ChildPowerShell ($connect + "`nDisconnect-MgGraph`n`$Host.UI.WriteLine(`"kept: `$(Test-Path '$cache')`")") -Environment $session -RedirectError
        $out, $err = $second.StandardOutput.ReadToEndAsync(), $second.StandardError.ReadToEndAsync()
        $second.WaitForExit(60000) | Should -BeTrue -Because 'no user is waited for'
        $text = $out.GetAwaiter().GetResult() + $err.GetAwaiter().GetResult()
        $second.ExitCode | Should -Be 0 -Because $text
        $text | Should -Not -BeLikeExactly '*enter the code*'
        $text | Should -BeLikeExactly '*scope: CurrentUser*set: True*kept: False*'
        Test-Path $cache | Should -BeFalse -Because 'Disconnect-MgGraph removes the kept sign-in'
    }

    It 'a token without the needed permission gets 403 as an error record' {
        Register-EmulatorApp -ClientId 'reader-app' -Roles 'Presence.Read.All' -Secrets 'reader-secret'
        $reader = [pscredential]::new('reader-app', [System.Net.NetworkCredential]::new('', 'reader-secret').SecurePassword)
        Connect-MgGraph -ClientSecretCredential $reader -TenantId $tenantId -Environment Emulator -NoWelcome
        $err = { Set-PresenceOnce } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'Forbidden,*'
        $err.Exception.Message | Should -BeLikeExactly '*Insufficient privileges*'
        (Get-MgUserPresence -UserId 'signed-in-call').Availability | Should -BeExactly 'Away'
    }

    It 'no secret, key or token appears in any stream of a whole session at -Debug and -Verbose' {
        $captured = & {
            Connect-MgGraph -ClientSecretCredential $secretCredential -TenantId $tenantId -Environment Emulator -Verbose -Debug
            Get-MgContext | ForEach-Object { $_.PSObject.Properties | ForEach-Object { "$($_.Name)=$($_.Value)" } }
            Set-MgUserPresence -UserId 'debug-user' -SessionId $appId -Availability Busy -Activity InACall -PassThru -Verbose -Debug
            Get-MgUserPresence -UserId 'debug-user' -Verbose -Debug | ForEach-Object { $_.PSObject.Properties | ForEach-Object { "$($_.Name)=$($_.Value)" } }
            Connect-MgGraph -ClientId 'cert-app' -TenantId $tenantId -Certificate $certificate -Environment Emulator -Verbose -Debug
            Set-MgUserPresence -UserId 'debug-user' -SessionId $appId -Availability Away -Activity Away -Debug -Verbose
            try {
                Connect-MgGraph -ClientSecretCredential ([pscredential]::new($demoAppId, [System.Net.NetworkCredential]::new('', 'bad-secret-xyz').SecurePassword)) -TenantId $tenantId -Environment Emulator -Debug
            } catch {
                $_
            }
        } *>&1
        $text = ($captured | ForEach-Object {
                if ($_ -is [System.Management.Automation.ErrorRecord]) { "$($_.Exception.Message) $($_.Exception) $($_.ErrorDetails)" } else { "$_" }
            }) -join "`n"
        $text | Should -BeLikeExactly '*HTTP REQUEST*'
        foreach ($secret in @($demoSecret, 'bad-secret-xyz', 'PRIVATE KEY', 'eyJ')) {
            $text | Should -Not -BeLikeExactly "*$secret*" -Because "'$secret' must not appear in the captured streams"
        }
    }
}

Describe 'Connect-MgGraph to an HTTPS emulator' {
    BeforeAll {
        # An emulator of its own, over HTTPS with a certificate it makes; the CLI is the one xtask built.
        $cli = $env:MGPRESENCE_CLI
        if (-not $cli) { throw 'MGPRESENCE_CLI is not set: run these tests with cargo xtask test.' }
        $caFile = Join-Path $TestDrive 'emulator-ca.pem'
        $start = [System.Diagnostics.ProcessStartInfo]::new($cli)
        foreach ($a in 'serve', '--https', '--ca-file', $caFile) { $start.ArgumentList.Add($a) }
        $start.RedirectStandardOutput = $true
        $httpsEmulator = [System.Diagnostics.Process]::Start($start)
        $httpsUrl = ($httpsEmulator.StandardOutput.ReadLine() -replace '^MgPresence emulator listening on ', '').Trim()
        $null = $httpsEmulator.StandardOutput.ReadLine()
        $connectAndSet = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModulePath'
`$null = Add-MgEnvironment -Name Secure -GraphEndpoint '$httpsUrl' -AzureADEndpoint '$httpsUrl'
Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'any-token').SecurePassword) -Environment Secure -NoWelcome
try { `$Host.UI.WriteLine("set: `$(Set-MgUserPresence -UserId 'https-user' -SessionId '$appId' -Availability Away -Activity Away -PassThru)") }
catch { `$Host.UI.WriteLine("error: `$(`$_.FullyQualifiedErrorId)") }
"@
        function Invoke-Session([hashtable] $Environment) {
            $child = Start-ChildPowerShell $connectAndSet -Environment $Environment -RedirectError
            $out, $err = $child.StandardOutput.ReadToEndAsync(), $child.StandardError.ReadToEndAsync()
            $null = $child.WaitForExit(60000)
            $out.GetAwaiter().GetResult() + $err.GetAwaiter().GetResult()
        }
    }

    AfterAll {
        if ($httpsEmulator -and -not $httpsEmulator.HasExited) { $httpsEmulator.Kill($true) }
    }

    It 'trusts the emulator''s CA when MGPRESENCE_TRUSTED_CA names it' {
        $httpsUrl | Should -BeLikeExactly 'https://127.0.0.1:*'
        Invoke-Session @{ MGPRESENCE_TRUSTED_CA = $caFile } | Should -BeLikeExactly '*set: True*'
    }

    It 'trusts no certificate it was not told about' {
        Invoke-Session @{ MGPRESENCE_TRUSTED_CA = $null } | Should -BeLikeExactly '*error: GraphRequestFailed,Microsoft.Graph.PowerShell.Cmdlets.SetMgUserPresence_SetExpanded*'
    }
}
