# Connect-MgGraph's parameter sets, end to end against the emulator as identity provider, with the emulator
# requiring the tokens it issues. Dot-sourced by Invoke-MgPresenceTests.ps1 after the other hand-written tests; it
# leaves the session as it found it (any-token emulator, access-token connection).

$demoAppId = '5e3ce6c0-2b1f-4285-8d4b-75ee78787346'
$demoSecret = 'mgpresence-emulator-demo-secret'
$appId = '22553876-f5ab-4529-bffb-cfe50aa89f87'

function Invoke-EmulatorControl {
    param([string] $Path, [string] $Json)
    $content = [System.Net.Http.StringContent]::new($Json, [System.Text.Encoding]::UTF8, 'application/json')
    $response = $script:Http.PostAsync("$script:EmulatorUrl$Path", $content).GetAwaiter().GetResult()
    if (-not $response.IsSuccessStatusCode) { throw "emulator control $Path failed: $($response.StatusCode)" }
}

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

function Register-EmulatorApp {
    param([string] $ClientId, [string[]] $Roles, [string[]] $Secrets = @(), [string[]] $Certificates = @())
    $app = @{ clientId = $ClientId; displayName = $ClientId; roles = $Roles; secrets = $Secrets; certificates = $Certificates }
    Invoke-EmulatorControl '/_emulator/apps' ([System.Text.Json.JsonSerializer]::Serialize($app, [hashtable], [System.Text.Json.JsonSerializerOptions]$null))
}

function Set-PresenceOnce {
    Set-MgUserPresence -UserId 'signed-in-call' -SessionId $appId -Availability Away -Activity Away -PassThru
}

Describe 'Connect-MgGraph sign-in' {
    $tenantDoc = [System.Text.Json.JsonDocument]::Parse($script:Http.GetStringAsync("$script:EmulatorUrl/_emulator/auth").GetAwaiter().GetResult())
    $tenantId = $tenantDoc.RootElement.GetProperty('tenantId').GetString()
    $secretCredential = [pscredential]::new($demoAppId, [System.Net.NetworkCredential]::new('', $demoSecret).SecurePassword)
    Invoke-EmulatorControl '/_emulator/auth' '{"requireIssuedTokens":true}'
    try {
        It 'a token the emulator did not issue is refused with 401' {
            Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'made-up-token').SecurePassword) -Environment Emulator -NoWelcome
            $err = Get-ErrorFrom { Set-PresenceOnce }
            Assert-Like 'InvalidAuthenticationToken,*' $err.FullyQualifiedErrorId
            Assert-Equal 'AuthenticationError' $err.CategoryInfo.Category
        }

        It 'AppSecretCredential: client id and secret, then a presence call' {
            $welcome = @(Connect-MgGraph -ClientSecretCredential $secretCredential -TenantId $tenantId -Environment Emulator)
            Assert-Contains "Connected via clientsecret access using $demoAppId" ($welcome -join "`n")
            $context = Get-MgContext
            Assert-Equal 'AppOnly' $context.AuthType
            Assert-Equal 'ClientSecret' $context.TokenCredentialType
            Assert-Equal $demoAppId $context.ClientId
            Assert-Equal $tenantId $context.TenantId
            Assert-True (@($context.Scopes) -contains 'Presence.ReadWrite.All') "scopes: $($context.Scopes)"
            Assert-Equal $true (Set-PresenceOnce)
            Assert-Like 'Bearer *' (Get-EmulatorRequest)[0].headers['authorization']
        }

        It 'a revoked token gives one retry and then a clear error; an expired one is refreshed after one 401' {
            Connect-MgGraph -ClientSecretCredential $secretCredential -TenantId $tenantId -Environment Emulator -NoWelcome
            Assert-Equal $true (Set-PresenceOnce)
            # Revocation covers every token issued up to this second, the fresh one of the retry included.
            Invoke-EmulatorControl '/_emulator/tokens/revoke' '{}'
            Clear-EmulatorRequest
            $err = Get-ErrorFrom { Set-PresenceOnce }
            Assert-Like 'InvalidAuthenticationToken,*' $err.FullyQualifiedErrorId
            Assert-Contains 'revoked' $err.Exception.Message
            Assert-Equal 2 (Get-EmulatorRequest).Count 'one retry, no more'
            Invoke-EmulatorControl '/_emulator/clock' '{"advance":"PT2S"}'

            Connect-MgGraph -ClientSecretCredential $secretCredential -TenantId $tenantId -Environment Emulator -NoWelcome
            Invoke-EmulatorControl '/_emulator/clock' '{"advance":"PT61M"}'
            try {
                Clear-EmulatorRequest
                Assert-Equal $true (Set-PresenceOnce)
                Assert-Equal 2 (Get-EmulatorRequest).Count 'the 401 and the retry with a fresh token'
            } finally {
                # Client assertions are dated by the real clock; keep the emulator's clock near it.
                Invoke-EmulatorControl '/_emulator/clock' '{"advance":"-PT61M"}'
            }
        }

        It 'a wrong secret fails at Connect-MgGraph with the identity provider''s reason, not the secret' {
            $wrong = [pscredential]::new($demoAppId, [System.Net.NetworkCredential]::new('', 'wrong-secret-value').SecurePassword)
            $err = Get-ErrorFrom { Connect-MgGraph -ClientSecretCredential $wrong -TenantId $tenantId -Environment Emulator -NoWelcome }
            Assert-Like 'AuthenticationFailed,*' $err.FullyQualifiedErrorId
            Assert-Contains 'invalid_client' $err.Exception.Message
            Assert-True (-not $err.Exception.Message.Contains('wrong-secret-value')) 'the secret is not in the error'
        }

        $certificate = New-TestCertificate 'CN=MgPresence Test App'
        Register-EmulatorApp -ClientId 'cert-app' -Roles 'Presence.ReadWrite.All' -Certificates $certificate.ExportCertificatePem()

        It 'AppCertificate with -Certificate' {
            Connect-MgGraph -ClientId 'cert-app' -TenantId $tenantId -Certificate $certificate -Environment Emulator -NoWelcome
            Assert-Equal 'ClientCertificate' (Get-MgContext).TokenCredentialType
            Assert-Equal $true (Set-PresenceOnce)
        }

        It 'AppCertificate with -CertificateThumbprint and -CertificateName from the current user''s store' {
            $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
            $store.Open('ReadWrite')
            $store.Add($certificate)
            try {
                Connect-MgGraph -ClientId 'cert-app' -TenantId $tenantId -CertificateThumbprint $certificate.Thumbprint -Environment Emulator -NoWelcome
                Assert-Equal $true (Set-PresenceOnce)
                Connect-MgGraph -ClientId 'cert-app' -TenantId $tenantId -CertificateName 'CN=MgPresence Test App' -Environment Emulator -NoWelcome
                Assert-Equal $true (Set-PresenceOnce)
            } finally {
                $store.Remove($certificate)
                $store.Close()
            }
            $err = Get-ErrorFrom { Connect-MgGraph -ClientId 'cert-app' -TenantId $tenantId -CertificateThumbprint ('00' * 20) -Environment Emulator -NoWelcome }
            Assert-Like 'CertificateNotFound,*' $err.FullyQualifiedErrorId
        }

        It 'Identity: the managed identity through IDENTITY_ENDPOINT and IDENTITY_HEADER' {
            $env:IDENTITY_ENDPOINT = "$script:EmulatorUrl/msi/token"
            $env:IDENTITY_HEADER = 'mgpresence-emulator-identity-header'
            try {
                Connect-MgGraph -Identity -Environment Emulator -NoWelcome
                Assert-Equal 'ManagedIdentity' (Get-MgContext).AuthType
                Assert-Equal $true (Set-PresenceOnce)
            } finally {
                $env:IDENTITY_ENDPOINT = $null
                $env:IDENTITY_HEADER = $null
            }
        }

        It 'Identity: the instance metadata endpoint when there is no IDENTITY_ENDPOINT' {
            $env:IMDS_ENDPOINT = $script:EmulatorUrl
            try {
                Connect-MgGraph -ManagedIdentity -Environment Emulator -NoWelcome
                Assert-Equal $true (Set-PresenceOnce)
            } finally {
                $env:IMDS_ENDPOINT = $null
            }
        }

        It 'EnvironmentVariable: a client secret, then a certificate file' {
            $env:AZURE_CLIENT_ID = $demoAppId; $env:AZURE_TENANT_ID = $tenantId; $env:AZURE_CLIENT_SECRET = $demoSecret
            $pfx = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), "mgpresence-test-$PID.pfx")
            try {
                Connect-MgGraph -EnvironmentVariable -Environment Emulator -NoWelcome
                Assert-Equal 'ClientSecret' (Get-MgContext).TokenCredentialType
                Assert-Equal $true (Set-PresenceOnce)
                [System.IO.File]::WriteAllBytes($pfx, $certificate.Export('Pfx', 'file-pw'))
                $env:AZURE_CLIENT_SECRET = $null; $env:AZURE_CLIENT_ID = 'cert-app'
                $env:AZURE_CLIENT_CERTIFICATE_PATH = $pfx; $env:AZURE_CLIENT_CERTIFICATE_PASSWORD = 'file-pw'
                Connect-MgGraph -EnvironmentVariable -Environment Emulator -NoWelcome
                Assert-Equal 'ClientCertificate' (Get-MgContext).TokenCredentialType
                Assert-Equal $true (Set-PresenceOnce)
            } finally {
                foreach ($name in 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD') {
                    [Environment]::SetEnvironmentVariable($name, $null)
                }
                [System.IO.File]::Delete($pfx)
            }
            $err = Get-ErrorFrom { Connect-MgGraph -EnvironmentVariable -Environment Emulator -NoWelcome }
            Assert-Like 'EnvironmentNotConfigured,*' $err.FullyQualifiedErrorId
        }

        It 'a user signs in with a device code (-Scopes -UseDeviceCode) and calls as themselves' {
            $child = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$($script:ModulePath)'
`$null = Add-MgEnvironment -Name Emulator -GraphEndpoint '$($script:EmulatorUrl)' -AzureADEndpoint '$($script:EmulatorUrl)'
Connect-MgGraph -Scopes Presence.ReadWrite -ClientId '$demoAppId' -TenantId '$tenantId' -UseDeviceCode -Environment Emulator -NoWelcome
`$context = Get-MgContext
`$Host.UI.WriteLine("context: `$(`$context.AuthType) `$(`$context.TokenCredentialType) `$(`$context.Account) `$(`$context.Scopes)")
`$ok = Set-MgUserPresence -UserId '00000000-0000-0000-0000-0000000000a1' -SessionId '$appId' -Availability Away -Activity Away -PassThru
`$Host.UI.WriteLine("set: `$ok")
"@
            $process = Start-ChildPowerShell $child -RedirectError
            try {
                $line = $process.StandardOutput.ReadLine()
                Assert-Contains 'enter the code' "$line"
                $userCode = [regex]::Match($line, 'enter the code (\S+) to').Groups[1].Value
                Invoke-EmulatorControl '/_emulator/devicecode/complete' ('{"userCode":"' + $userCode + '","userId":"adele.vance@contoso.example"}')
                $rest = $process.StandardOutput.ReadToEnd() + $process.StandardError.ReadToEnd()
                Assert-True ($process.WaitForExit(60000)) 'the sign-in finished'
                Assert-Equal 0 $process.ExitCode "child output: $rest"
                Assert-Contains 'context: Delegated DeviceCode adele.vance@contoso.example Presence.ReadWrite' $rest
                Assert-Contains 'set: True' $rest
            } finally {
                if (-not $process.HasExited) { $process.Kill($true) }
            }
        }

        It 'a token without the needed permission gets 403 as an error record' {
            Register-EmulatorApp -ClientId 'reader-app' -Roles 'Presence.Read.All' -Secrets 'reader-secret'
            $reader = [pscredential]::new('reader-app', [System.Net.NetworkCredential]::new('', 'reader-secret').SecurePassword)
            Connect-MgGraph -ClientSecretCredential $reader -TenantId $tenantId -Environment Emulator -NoWelcome
            $err = Get-ErrorFrom { Set-PresenceOnce }
            Assert-Like 'Forbidden,*' $err.FullyQualifiedErrorId
            Assert-Contains 'Insufficient privileges' $err.Exception.Message
            Assert-Equal 'Away' (Get-MgUserPresence -UserId 'signed-in-call').Availability
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
            Assert-Contains 'HTTP REQUEST' $text
            foreach ($secret in @($demoSecret, 'bad-secret-xyz', 'PRIVATE KEY', 'eyJ')) {
                Assert-True (-not $text.Contains($secret)) "'$secret' appeared in the captured streams"
            }
        }
    } finally {
        Invoke-EmulatorControl '/_emulator/auth' '{"requireIssuedTokens":false}'
        Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword) -Environment Emulator -NoWelcome
    }
}
