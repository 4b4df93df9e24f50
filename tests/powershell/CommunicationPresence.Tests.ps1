# Pester tests of the communications cmdlets' list form, counts and batch reads, the presence actions end to end,
# the proxy parameters and Set-MgRequestContext, in real PowerShell against the emulator. Run by
# Invoke-MgPresenceTests.ps1, which passes the module's path and the emulator's URL.
param([string] $ModulePath, [string] $EmulatorUrl)

BeforeAll {
    Import-Module "$PSScriptRoot/MgPresence.TestHelpers.psm1"
    Initialize-TestSession -ModulePath $ModulePath -EmulatorUrl $EmulatorUrl
}

Describe 'Get-MgCommunicationPresence list form' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    BeforeAll {
        # The users the list tests find; set again by the tests that need them on their own.
        $listedUsers = 'list-a', 'list-b', 'list-c'
    }

    It 'lists every presence with -All, following next links page by page' {
        foreach ($user in $listedUsers) {
            Set-MgUserPresence -UserId $user -SessionId $appId -Availability Away -Activity Away
        }
        Clear-EmulatorRequest
        $all = @(Get-MgCommunicationPresence -All -PageSize 2)
        $requests = @(Get-EmulatorRequest)
        $requests.Count | Should -BeGreaterOrEqual 2 -Because 'several pages were fetched'
        $requests[0].query | Should -BeExactly '$top=2'
        $requests[1].query | Should -BeLikeExactly '*skip=2*' -Because 'the second page follows the next link'
        $ids = @($all | ForEach-Object { $_.Id })
        foreach ($user in $listedUsers) { $ids | Should -Contain $user -Because "$user is listed" }
    }

    It '-All outputs the pages it read before a later page fails, then the error' {
        foreach ($user in $listedUsers) {
            Set-MgUserPresence -UserId $user -SessionId $appId -Availability Away -Activity Away
        }
        Clear-EmulatorRequest
        Add-EmulatorFault @{ method = 'GET'; pathContains = 'skip='; status = 500; code = 'InternalServerError'; message = 'Page two is gone.'; times = 1 }
        $errors = $null
        $read = @(Get-MgCommunicationPresence -All -PageSize 2 -ErrorVariable errors -ErrorAction SilentlyContinue)
        $read | Should -HaveCount 2 -Because 'the first page is kept'
        @($errors) | Should -HaveCount 1
        "$($errors[0])" | Should -BeLike '*Page two is gone.*'
        @(Get-EmulatorRequest) | Should -HaveCount 2
    }

    It '-Top without -All reads one page' {
        $page = @(Get-MgCommunicationPresence -Top 2)
        $page | Should -HaveCount 2
        @(Get-EmulatorRequest) | Should -HaveCount 1
    }

    It '-Filter and -CountVariable (global) work together' {
        $global:presenceCount = $null
        $found = @(Get-MgCommunicationPresence -Filter "id in ('list-a','list-c')" -CountVariable presenceCount)
        @($found | ForEach-Object { $_.Id }) | Should -BeExactly @('list-a', 'list-c')
        $global:presenceCount | Should -Be 2
        @(Get-EmulatorRequest)[0].query | Should -BeLike '*$count=true*'
    }

    It 'Get-MgCommunicationPresenceCount counts, and -Filter narrows it' {
        $all = Get-MgCommunicationPresenceCount
        $two = Get-MgCommunicationPresenceCount -Filter "id in ('list-a','list-b')"
        $all | Should -BeOfType ([int])
        $all | Should -BeGreaterOrEqual 3
        $two | Should -Be 2
    }

    It 'Get-MgCommunicationPresenceByUserId returns one presence per user' {
        $presences = @(Get-MgCommunicationPresenceByUserId -Ids 'list-a', 'list-b', 'nobody-yet')
        @($presences | ForEach-Object { $_.Id }) | Should -BeExactly @('list-a', 'list-b', 'nobody-yet')
        $presences[0].Availability | Should -BeExactly 'Away'
        $presences[2].Availability | Should -BeExactly 'Offline'
    }

    It 'a service error in the list form is a clear error' {
        $err = { Get-MgCommunicationPresence -Filter "availability eq 'Away'" } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'BadRequest,*'
    }

    It 'an identity without PresenceId stops with Microsoft''s message' {
        $err = { Get-MgCommunicationPresence -InputObject @{ UserId = 'x' } } | Should -Throw -PassThru
        $err.Exception.Message | Should -BeExactly 'InputObject has null value for InputObject.PresenceId'
    }
}

Describe 'Presence actions end to end' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It 'status message, preferred presence and clearing, read back with Get-MgUserPresence' {
        $user = 'e2e-user'
        Set-MgUserPresence -UserId $user -SessionId $appId -Availability Available -Activity Available -ExpirationDuration ([TimeSpan]::FromHours(1))
        Set-MgUserPresenceUserPreferredPresence -UserId $user -Availability DoNotDisturb -Activity DoNotDisturb
        Set-MgUserPresenceStatusMessage -UserId $user -StatusMessage @{ message = @{ content = 'Heads down'; contentType = 'text' } }
        Set-MgUserPresenceManualLocation -UserId $user -WorkLocationType remote
        $p = Get-MgUserPresence -UserId $user
        $p.Availability | Should -BeExactly 'DoNotDisturb'
        $p.StatusMessage.Message.Content | Should -BeExactly 'Heads down'
        $p.WorkLocation.WorkLocationType | Should -BeExactly 'remote'
        $p.WorkLocation.Source | Should -BeExactly 'manual'
        Clear-MgUserPresenceUserPreferredPresence -UserId $user
        Clear-MgUserPresence -UserId $user -SessionId $appId
        $p = Get-MgUserPresence -UserId $user
        $p.Availability | Should -BeExactly 'Offline'
        $err = { Clear-MgUserPresence -UserId $user -SessionId $appId } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'NotFound,*'
    }

    It 'a presence object''s StatusMessage can be passed back to Set-MgUserPresenceStatusMessage' {
        $source = Get-MgUserPresence -UserId 'e2e-user'
        Set-MgUserPresenceStatusMessage -UserId 'e2e-copy' -StatusMessage @{ message = @{ content = 'copied'; contentType = 'text' } }
        $copied = Get-MgUserPresence -UserId 'e2e-copy'
        Set-MgUserPresenceStatusMessage -UserId 'e2e-copy-2' -StatusMessage $copied.StatusMessage
        (Get-MgUserPresence -UserId 'e2e-copy-2').StatusMessage.Message.Content | Should -BeExactly 'copied'
        $source | Should -Not -BeNullOrEmpty
    }
}

Describe 'Proxy parameters' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It '-Proxy and -ProxyCredential send the request through the proxy' {
        # The connected endpoint is a closed port; only the proxy (the emulator) can answer.
        $null = Add-MgEnvironment -Name Unreachable -GraphEndpoint 'http://127.0.0.1:9' -AzureADEndpoint 'http://127.0.0.1:9'
        Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword) -Environment Unreachable -NoWelcome
        try {
            $credential = [pscredential]::new('proxy-user', [System.Net.NetworkCredential]::new('', 'proxy-secret').SecurePassword)
            $ok = Set-MgUserPresence -UserId 'via-proxy' -SessionId $appId -Availability Away -Activity Away -Proxy $EmulatorUrl -ProxyCredential $credential -PassThru
            $ok | Should -Be $true
            $sent = @(Get-EmulatorRequest)[0]
            $sent.path | Should -BeExactly '/v1.0/users/via-proxy/presence/setPresence'
            $sent.headers['host'] | Should -BeExactly '127.0.0.1:9' -Because 'the proxy was asked for the connected endpoint'
            $sent.headers['proxy-authorization'] | Should -BeExactly 'Basic <redacted>'

            Clear-EmulatorRequest
            $err = { Set-MgUserPresence -UserId 'no-proxy' -SessionId $appId -Availability Away -Activity Away } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'GraphRequestFailed,*'
            @(Get-EmulatorRequest) | Should -HaveCount 0
        } finally {
            Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword) -Environment Emulator -NoWelcome
        }
    }

    It '-ProxyUseDefaultCredentials uses the system proxy settings' {
        # The process environment is where the system proxy settings live on Linux and macOS; .NET does not pass
        # environment changes to native code in the same process, so this runs in a child PowerShell.
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModulePath'
`$null = Add-MgEnvironment -Name Unreachable -GraphEndpoint 'http://127.0.0.1:9' -AzureADEndpoint 'http://127.0.0.1:9'
Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'child-token').SecurePassword) -Environment Unreachable -NoWelcome
Set-MgUserPresence -UserId 'via-system-proxy' -SessionId '$appId' -Availability Away -Activity Away -ProxyUseDefaultCredentials -PassThru
"@
        # Variable names are case-sensitive here, unlike a PowerShell hashtable's keys.
        $environment = [hashtable]::new([StringComparer]::Ordinal)
        foreach ($name in 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy', 'http_proxy') { $environment[$name] = $null }
        $environment['HTTP_PROXY'] = $EmulatorUrl
        $child = Start-ChildPowerShell $script -Environment $environment -RedirectError
        # Both streams read at once: a child that fills one pipe while the other is read to its end would hang.
        $stdout, $stderr = $child.StandardOutput.ReadToEndAsync(), $child.StandardError.ReadToEndAsync()
        $output = $stdout.GetAwaiter().GetResult() + $stderr.GetAwaiter().GetResult()
        $child.WaitForExit()
        $child.ExitCode | Should -Be 0 -Because "the child's output was: $output"
        $output | Should -BeLikeExactly '*True*'
        $sent = @(Get-EmulatorRequest)[0]
        $sent.path | Should -BeExactly '/v1.0/users/via-system-proxy/presence/setPresence'
        $sent.headers['host'] | Should -BeExactly '127.0.0.1:9'
    }
}

Describe 'Set-MgRequestContext' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It 'sets how many retries a throttled or unavailable request gets' {
        $before = Get-MgRequestContext
        $before.MaxRetry | Should -Be 3
        try {
            $null = Set-MgRequestContext -MaxRetry 0
            Add-EmulatorFault @{ pathContains = 'retry-user'; status = 503; code = 'ServiceUnavailable'; message = 'Try later.'; times = 1 }
            $err = { Set-MgUserPresence -UserId 'retry-user' -SessionId $appId -Availability Away -Activity Away } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'ServiceUnavailable,*'
            @(Get-EmulatorRequest) | Should -HaveCount 1 -Because 'there is no retry'

            Clear-EmulatorRequest
            $context = Set-MgRequestContext -MaxRetry 2 -RetryDelay 0
            $context.MaxRetry | Should -Be 2
            Add-EmulatorFault @{ pathContains = 'retry-user'; status = 503; code = 'ServiceUnavailable'; message = 'Try later.'; times = 2 }
            Set-MgUserPresence -UserId 'retry-user' -SessionId $appId -Availability Away -Activity Away -PassThru | Should -Be $true
            @(Get-EmulatorRequest) | Should -HaveCount 3 -Because 'two retries follow the first attempt'
            $err = { Set-MgRequestContext -MaxRetry 11 } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
        } finally {
            $null = Set-MgRequestContext -MaxRetry $before.MaxRetry -RetryDelay $before.RetryDelay -RetriesTimeLimit $before.RetriesTimeLimit
        }
    }
}
