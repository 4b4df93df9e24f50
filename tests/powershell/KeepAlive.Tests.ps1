# Pester tests of the keep-alive cmdlets over a real store file: the holds they add are the ones `mgpresence agent`
# (the CLI that runs the agent) lists, with -WhatIf, pipeline input and clear errors. Run by Invoke-MgPresenceTests.ps1.
param([string] $ModulePath, [string] $EmulatorUrl)

BeforeAll {
    Import-Module "$PSScriptRoot/MgPresence.TestHelpers.psm1"
    Initialize-TestSession -ModulePath $ModulePath -EmulatorUrl $EmulatorUrl
}

Describe 'Register-, Get- and Unregister-MgPresenceKeepAlive' {
    BeforeEach {
        $store = Join-Path $TestDrive "holds-$([guid]::NewGuid().ToString('N')).db"
    }

    It 'registers piped CSV rows with a common -Until, as the CLI of the agent sees them' {
        $csv = Join-Path $TestDrive 'agents.csv'
        Set-Content -Path $csv -Value "UserId,Availability,Activity`nagent-1,Busy,InACall`nagent-2,Available,Available"
        $until = (Get-Date).AddHours(3)
        $added = @(Import-Csv $csv | Register-MgPresenceKeepAlive -SessionId $appId -Until $until -StorePath $store)
        $added | Should -HaveCount 2
        $added[0].PSObject.TypeNames[0] | Should -BeExactly 'MgPresence.KeepAliveHold'
        $added.UserId | Should -Be @('agent-1', 'agent-2')
        $added[0].Until | Should -BeExactly $until.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
        $listed = & $env:MGPRESENCE_CLI agent list --json --store $store | ConvertFrom-Json
        @($listed.userId) | Should -Be @('agent-1', 'agent-2') -Because 'the agent reads the same store'
        @($listed.sessionId | Select-Object -Unique) | Should -Be @($appId)
    }

    It '-WhatIf adds nothing' {
        Register-MgPresenceKeepAlive -UserId 'what-if' -SessionId $appId -Availability Away -Activity Away -StorePath $store -WhatIf
        @(Get-MgPresenceKeepAlive -StorePath $store) | Should -HaveCount 0
    }

    It 'lists with a filter and unregisters what is piped to it' {
        'keep-a', 'keep-b', 'drop-c' | ForEach-Object { [pscustomobject]@{ UserId = $_; Availability = 'Away'; Activity = 'Away' } } |
            Register-MgPresenceKeepAlive -SessionId $appId -StorePath $store | Out-Null
        (Get-MgPresenceKeepAlive -StorePath $store -UserId 'keep-*').UserId | Should -Be @('keep-a', 'keep-b')
        $removed = Get-MgPresenceKeepAlive -StorePath $store -UserId 'drop-*' | Unregister-MgPresenceKeepAlive -StorePath $store -PassThru
        $removed.UserId | Should -BeExactly 'drop-c'
        (Get-MgPresenceKeepAlive -StorePath $store).UserId | Should -Be @('keep-a', 'keep-b')
        (Get-MgPresenceKeepAlive -StorePath $store)[0].Lapses | Should -Be 0
    }

    It 'refuses a pair setPresence does not take, and adds none of the batch' {
        $rows = @(
            [pscustomobject]@{ UserId = 'fine'; Availability = 'Away'; Activity = 'Away' }
            [pscustomobject]@{ UserId = 'wrong'; Availability = 'Available'; Activity = 'Busy' }
        )
        $err = { $rows | Register-MgPresenceKeepAlive -SessionId $appId -StorePath $store } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly 'UnsupportedPresenceCombination,Register-MgPresenceKeepAlive'
        $err.Exception.Message | Should -BeLikeExactly '*Available/Busy*cannot be held*'
        @(Get-MgPresenceKeepAlive -StorePath $store) | Should -HaveCount 0 -Because 'all or none'
    }

    It 'a file that is not a store is a clear error, and the file is left as it was' {
        $bad = Join-Path $TestDrive 'not-a-store.db'
        Set-Content -Path $bad -Value ('x' * 4096)
        $err = { Get-MgPresenceKeepAlive -StorePath $bad } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly 'KeepAliveStoreCorrupt,Get-MgPresenceKeepAlive'
        (Get-Content -Path $bad -Raw).Trim() | Should -BeExactly ('x' * 4096)
    }

    It 'an end that has passed is refused' {
        $err = { Register-MgPresenceKeepAlive -UserId 'late' -SessionId $appId -Availability Away -Activity Away -Until (Get-Date).AddMinutes(-1) -StorePath $store } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly 'InvalidKeepAliveHold,Register-MgPresenceKeepAlive'
        $err.Exception.Message | Should -BeLikeExactly '*has passed*'
    }
}

Describe 'mgpresence agent run with the credentials of the environment' {
    BeforeAll {
        $tenantId = (Invoke-EmulatorControl '/_emulator/auth' -Method GET | ConvertFrom-Json).tenantId
        $demoAppId = '5e3ce6c0-2b1f-4285-8d4b-75ee78787346'
        $demoSecret = 'mgpresence-emulator-demo-secret'
        $certificate = New-TestCertificate 'CN=MgPresence Agent Test App'
        $certificateAppId = 'c3a9d1e2-0000-4000-8000-00000000a9e1'
        Register-EmulatorApp -ClientId $certificateAppId -Roles 'Presence.ReadWrite.All' -Certificates $certificate.ExportCertificatePem()
        # The certificate and its key in one PEM file, as AZURE_CLIENT_CERTIFICATE_PATH takes it.
        $keyPem = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($certificate).ExportPkcs8PrivateKeyPem()
        $pemPath = Join-Path $TestDrive 'agent-app.pem'
        Set-Content -Path $pemPath -Value ($certificate.ExportCertificatePem() + "`n" + $keyPem) -NoNewline
        $keyBody = ($keyPem -split "`n" | Where-Object { $_ -notlike '-----*' })[2]
        Invoke-EmulatorControl '/_emulator/auth' '{"requireIssuedTokens":true}' | Out-Null

        # Runs `mgpresence agent run --once` over the store with only the given credential variables set.
        function Invoke-AgentRun {
            param([string] $Store, [hashtable] $Environment)
            $start = [System.Diagnostics.ProcessStartInfo]::new($env:MGPRESENCE_CLI)
            foreach ($argument in 'agent', 'run', '--once', '--endpoint', $EmulatorUrl, '--store', $Store) { $start.ArgumentList.Add($argument) }
            foreach ($name in 'MGPRESENCE_ACCESS_TOKEN', 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER') {
                $start.Environment.Remove($name) | Out-Null
            }
            foreach ($name in $Environment.Keys) { $start.Environment[$name] = $Environment[$name] }
            $start.RedirectStandardOutput = $true
            $start.RedirectStandardError = $true
            $process = [System.Diagnostics.Process]::Start($start)
            $out = $process.StandardOutput.ReadToEndAsync()
            $err = $process.StandardError.ReadToEnd()
            $process.WaitForExit()
            [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $out.GetAwaiter().GetResult() + $err }
        }

        function Get-LastResult {
            param([string] $Store)
            (& $env:MGPRESENCE_CLI agent status --json --store $Store | ConvertFrom-Json).each.lastResult
        }
    }

    AfterAll {
        Invoke-EmulatorControl '/_emulator/auth' '{"requireIssuedTokens":false}' | Out-Null
    }

    BeforeEach {
        $store = Join-Path $TestDrive "holds-$([guid]::NewGuid().ToString('N')).db"
        Clear-EmulatorRequest
    }

    It 'signs in with the certificate and key of AZURE_CLIENT_CERTIFICATE_PATH and renews the holds' {
        Register-MgPresenceKeepAlive -UserId 'agent-cert-user' -SessionId $certificateAppId -Availability Busy -Activity InACall -StorePath $store | Out-Null
        $run = Invoke-AgentRun -Store $store -Environment @{ AZURE_CLIENT_ID = $certificateAppId; AZURE_TENANT_ID = $tenantId; AZURE_CLIENT_CERTIFICATE_PATH = $pemPath }
        $run.ExitCode | Should -Be 0 -Because $run.Output
        Get-LastResult $store | Should -BeExactly '200'
        $posted = @(Get-EmulatorRequest | Where-Object path -like '*/setPresence')
        $posted | Should -HaveCount 1
        $posted[0].body.sessionId | Should -BeExactly $certificateAppId
        $run.Output | Should -Not -BeLikeExactly "*$keyBody*" -Because 'the key is never printed'
        $run.Output | Should -Not -BeLikeExactly '*PRIVATE KEY*'
    }

    It 'signs in with a PFX and AZURE_CLIENT_CERTIFICATE_PASSWORD, as Connect-MgGraph -EnvironmentVariable takes them' {
        # The PFX as .NET writes it (AES-256 and SHA-256 on .NET 10).
        $pfxPath = Join-Path $TestDrive 'agent-app.pfx'
        [System.IO.File]::WriteAllBytes($pfxPath, $certificate.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx, 'pfx-password-7'))
        Register-MgPresenceKeepAlive -UserId 'agent-pfx-user' -SessionId $certificateAppId -Availability Busy -Activity InACall -StorePath $store | Out-Null
        $run = Invoke-AgentRun -Store $store -Environment @{ AZURE_CLIENT_ID = $certificateAppId; AZURE_TENANT_ID = $tenantId; AZURE_CLIENT_CERTIFICATE_PATH = $pfxPath; AZURE_CLIENT_CERTIFICATE_PASSWORD = 'pfx-password-7' }
        $run.ExitCode | Should -Be 0 -Because $run.Output
        Get-LastResult $store | Should -BeExactly '200'
        $run.Output | Should -Not -BeLikeExactly '*pfx-password-7*'

        $wrong = Invoke-AgentRun -Store $store -Environment @{ AZURE_CLIENT_ID = $certificateAppId; AZURE_TENANT_ID = $tenantId; AZURE_CLIENT_CERTIFICATE_PATH = $pfxPath; AZURE_CLIENT_CERTIFICATE_PASSWORD = 'not-the-pfx-password' }
        $wrong.ExitCode | Should -Not -Be 0
        $wrong.Output | Should -BeLikeExactly '*AZURE_CLIENT_CERTIFICATE_PATH*neither PEM nor a PFX this password opens*'
        $wrong.Output | Should -Not -BeLikeExactly '*not-the-pfx-password*'
    }

    It 'signs in with AZURE_CLIENT_SECRET and never prints it' {
        Register-MgPresenceKeepAlive -UserId 'agent-secret-user' -SessionId $demoAppId -Availability Away -Activity Away -StorePath $store | Out-Null
        $run = Invoke-AgentRun -Store $store -Environment @{ AZURE_CLIENT_ID = $demoAppId; AZURE_TENANT_ID = $tenantId; AZURE_CLIENT_SECRET = $demoSecret }
        $run.ExitCode | Should -Be 0 -Because $run.Output
        Get-LastResult $store | Should -BeExactly '200'
        $run.Output | Should -Not -BeLikeExactly "*$demoSecret*"
    }

    It 'a certificate the app does not have is a clear error with a non-zero exit, and the hold stays' {
        $other = New-TestCertificate 'CN=Not The App'
        $otherPem = Join-Path $TestDrive 'other.pem'
        $otherKey = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($other).ExportPkcs8PrivateKeyPem()
        Set-Content -Path $otherPem -Value ($other.ExportCertificatePem() + "`n" + $otherKey) -NoNewline
        Register-MgPresenceKeepAlive -UserId 'agent-wrong-cert' -SessionId $certificateAppId -Availability Away -Activity Away -StorePath $store | Out-Null
        $run = Invoke-AgentRun -Store $store -Environment @{ AZURE_CLIENT_ID = $certificateAppId; AZURE_TENANT_ID = $tenantId; AZURE_CLIENT_CERTIFICATE_PATH = $otherPem }
        $run.ExitCode | Should -Not -Be 0
        $run.Output | Should -BeLikeExactly '*invalid_client*' -Because 'the identity provider''s reason is given'
        $run.Output | Should -Not -BeLikeExactly '*PRIVATE KEY*'
        @(Get-EmulatorRequest | Where-Object path -like '*/setPresence') | Should -HaveCount 0
        @(Get-MgPresenceKeepAlive -StorePath $store) | Should -HaveCount 1 -Because 'a sign-in failure loses no hold'
    }

    It 'no credential at all is a clear error naming the variables' {
        Register-MgPresenceKeepAlive -UserId 'agent-no-credential' -SessionId $demoAppId -Availability Away -Activity Away -StorePath $store | Out-Null
        $run = Invoke-AgentRun -Store $store -Environment @{}
        $run.ExitCode | Should -Not -Be 0
        $run.Output | Should -BeLikeExactly '*AZURE_CLIENT_ID*AZURE_CLIENT_CERTIFICATE_PATH*IDENTITY_ENDPOINT*'
    }
}
