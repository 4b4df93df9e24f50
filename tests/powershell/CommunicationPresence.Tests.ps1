# The communications cmdlets' list form, counts and batch reads, and the proxy parameters, against the emulator.
# Dot-sourced by Invoke-MgPresenceTests.ps1 after SetMgUserPresence.Tests.ps1 (which imports and connects).

$appId = '22553876-f5ab-4529-bffb-cfe50aa89f87'

Describe 'Get-MgCommunicationPresence list form' {
    It 'lists every presence with -All, following next links page by page' {
        foreach ($user in 'list-a', 'list-b', 'list-c') {
            Set-MgUserPresence -UserId $user -SessionId $appId -Availability Away -Activity Away
        }
        Clear-EmulatorRequest
        $all = @(Get-MgCommunicationPresence -All -PageSize 2)
        $requests = Get-EmulatorRequest
        Assert-True ($requests.Count -ge 2) "several pages were fetched ($($requests.Count))"
        Assert-Equal '%24top=2' $requests[0].query
        Assert-True ($requests[1].query.Contains('%24skip=2')) "the second page follows the next link: $($requests[1].query)"
        $ids = @($all | ForEach-Object { $_.Id })
        foreach ($user in 'list-a', 'list-b', 'list-c') { Assert-True ($ids -contains $user) "$user is listed" }
    }

    It '-All outputs the pages it read before a later page fails, then the error' {
        foreach ($user in 'list-a', 'list-b', 'list-c') {
            Set-MgUserPresence -UserId $user -SessionId $appId -Availability Away -Activity Away
        }
        Clear-EmulatorRequest
        Add-EmulatorFault @{ method = 'GET'; pathContains = 'skip='; status = 500; code = 'InternalServerError'; message = 'Page two is gone.'; times = 1 }
        $errors = $null
        $read = @(Get-MgCommunicationPresence -All -PageSize 2 -ErrorVariable errors -ErrorAction SilentlyContinue)
        Assert-Equal 2 $read.Count 'the first page is kept'
        Assert-Equal 1 @($errors).Count
        Assert-Like '*Page two is gone.*' "$($errors[0])"
        Assert-Equal 2 (Get-EmulatorRequest).Count
    }

    It '-Top without -All reads one page' {
        $page = @(Get-MgCommunicationPresence -Top 2)
        Assert-Equal 2 $page.Count
        Assert-Equal 1 (Get-EmulatorRequest).Count
    }

    It '-Filter and -CountVariable (global) work together' {
        $global:presenceCount = $null
        $found = @(Get-MgCommunicationPresence -Filter "id in ('list-a','list-c')" -CountVariable presenceCount)
        Assert-SequenceEqual @('list-a', 'list-c') @($found | ForEach-Object { $_.Id })
        Assert-Equal 2 $global:presenceCount
        Assert-Like '*%24count=true*' (Get-EmulatorRequest)[0].query
    }

    It 'Get-MgCommunicationPresenceCount counts, and -Filter narrows it' {
        $all = Get-MgCommunicationPresenceCount
        $two = Get-MgCommunicationPresenceCount -Filter "id in ('list-a','list-b')"
        Assert-True ($all -is [int] -and $all -ge 3) "count $all"
        Assert-Equal 2 $two
    }

    It 'Get-MgCommunicationPresenceByUserId returns one presence per user' {
        $presences = @(Get-MgCommunicationPresenceByUserId -Ids 'list-a', 'list-b', 'nobody-yet')
        Assert-SequenceEqual @('list-a', 'list-b', 'nobody-yet') @($presences | ForEach-Object { $_.Id })
        Assert-Equal 'Away' $presences[0].Availability
        Assert-Equal 'Offline' $presences[2].Availability
    }

    It 'a service error in the list form is a clear error' {
        $err = Get-ErrorFrom { Get-MgCommunicationPresence -Filter "availability eq 'Away'" }
        Assert-Like 'BadRequest,*' $err.FullyQualifiedErrorId
    }

    It 'an identity without PresenceId stops with Microsoft''s message' {
        $err = Get-ErrorFrom { Get-MgCommunicationPresence -InputObject @{ UserId = 'x' } }
        Assert-Equal 'InputObject has null value for InputObject.PresenceId' $err.Exception.Message
    }
}

Describe 'Presence actions end to end' {
    It 'status message, preferred presence and clearing, read back with Get-MgUserPresence' {
        $user = 'e2e-user'
        Set-MgUserPresence -UserId $user -SessionId $appId -Availability Available -Activity Available -ExpirationDuration ([TimeSpan]::FromHours(1))
        Set-MgUserPresenceUserPreferredPresence -UserId $user -Availability DoNotDisturb -Activity DoNotDisturb
        Set-MgUserPresenceStatusMessage -UserId $user -StatusMessage @{ message = @{ content = 'Heads down'; contentType = 'text' } }
        Set-MgUserPresenceManualLocation -UserId $user -WorkLocationType remote
        $p = Get-MgUserPresence -UserId $user
        Assert-Equal 'DoNotDisturb' $p.Availability
        Assert-Equal 'Heads down' $p.StatusMessage.Message.Content
        Assert-Equal 'remote' $p.WorkLocation.WorkLocationType
        Assert-Equal 'manual' $p.WorkLocation.Source
        Clear-MgUserPresenceUserPreferredPresence -UserId $user
        Clear-MgUserPresence -UserId $user -SessionId $appId
        $p = Get-MgUserPresence -UserId $user
        Assert-Equal 'Offline' $p.Availability
        $err = Get-ErrorFrom { Clear-MgUserPresence -UserId $user -SessionId $appId }
        Assert-Like 'NotFound,*' $err.FullyQualifiedErrorId
    }

    It 'a presence object''s StatusMessage can be passed back to Set-MgUserPresenceStatusMessage' {
        $source = Get-MgUserPresence -UserId 'e2e-user'
        Set-MgUserPresenceStatusMessage -UserId 'e2e-copy' -StatusMessage @{ message = @{ content = 'copied'; contentType = 'text' } }
        $copied = Get-MgUserPresence -UserId 'e2e-copy'
        Set-MgUserPresenceStatusMessage -UserId 'e2e-copy-2' -StatusMessage $copied.StatusMessage
        Assert-Equal 'copied' (Get-MgUserPresence -UserId 'e2e-copy-2').StatusMessage.Message.Content
        Assert-True ($null -ne $source)
    }
}

Describe 'Proxy parameters' {
    It '-Proxy and -ProxyCredential send the request through the proxy' {
        # The connected endpoint is a closed port; only the proxy (the emulator) can answer.
        $null = Add-MgEnvironment -Name Unreachable -GraphEndpoint 'http://127.0.0.1:9' -AzureADEndpoint 'http://127.0.0.1:9'
        Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword) -Environment Unreachable -NoWelcome
        try {
            $credential = [pscredential]::new('proxy-user', [System.Net.NetworkCredential]::new('', 'proxy-secret').SecurePassword)
            $ok = Set-MgUserPresence -UserId 'via-proxy' -SessionId $appId -Availability Away -Activity Away -Proxy $script:EmulatorUrl -ProxyCredential $credential -PassThru
            Assert-Equal $true $ok
            $sent = (Get-EmulatorRequest)[0]
            Assert-Equal '/v1.0/users/via-proxy/presence/setPresence' $sent.path
            Assert-Equal '127.0.0.1:9' $sent.headers['host'] 'the proxy was asked for the connected endpoint'
            Assert-Equal 'Basic <redacted>' $sent.headers['proxy-authorization']

            Clear-EmulatorRequest
            $err = Get-ErrorFrom { Set-MgUserPresence -UserId 'no-proxy' -SessionId $appId -Availability Away -Activity Away }
            Assert-Like 'GraphRequestFailed,*' $err.FullyQualifiedErrorId
            Assert-Equal 0 (Get-EmulatorRequest).Count
        } finally {
            Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword) -Environment Emulator -NoWelcome
        }
    }

    It '-ProxyUseDefaultCredentials uses the system proxy settings' {
        # The process environment is where the system proxy settings live on Linux and macOS; .NET does not pass
        # environment changes to native code in the same process, so this runs in a child PowerShell.
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$($script:ModulePath)'
`$null = Add-MgEnvironment -Name Unreachable -GraphEndpoint 'http://127.0.0.1:9' -AzureADEndpoint 'http://127.0.0.1:9'
Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'child-token').SecurePassword) -Environment Unreachable -NoWelcome
Set-MgUserPresence -UserId 'via-system-proxy' -SessionId '$appId' -Availability Away -Activity Away -ProxyUseDefaultCredentials -PassThru
"@
        # Variable names are case-sensitive here, unlike a PowerShell hashtable's keys.
        $environment = [hashtable]::new([StringComparer]::Ordinal)
        foreach ($name in 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy', 'http_proxy') { $environment[$name] = $null }
        $environment['HTTP_PROXY'] = $script:EmulatorUrl
        $child = Start-ChildPowerShell $script -Environment $environment -RedirectError
        $output = $child.StandardOutput.ReadToEnd() + $child.StandardError.ReadToEnd()
        $child.WaitForExit()
        Assert-Equal 0 $child.ExitCode "child output: $output"
        Assert-Contains 'True' $output
        $sent = (Get-EmulatorRequest)[0]
        Assert-Equal '/v1.0/users/via-system-proxy/presence/setPresence' $sent.path
        Assert-Equal '127.0.0.1:9' $sent.headers['host']
    }
}

Describe 'Set-MgRequestContext' {
    It 'sets how many retries a throttled or unavailable request gets' {
        $before = Get-MgRequestContext
        Assert-Equal 3 $before.MaxRetry
        try {
            $null = Set-MgRequestContext -MaxRetry 0
            Add-EmulatorFault @{ pathContains = 'retry-user'; status = 503; code = 'ServiceUnavailable'; message = 'Try later.'; times = 1 }
            $err = Get-ErrorFrom { Set-MgUserPresence -UserId 'retry-user' -SessionId $appId -Availability Away -Activity Away }
            Assert-Like 'ServiceUnavailable,*' $err.FullyQualifiedErrorId
            Assert-Equal 1 (Get-EmulatorRequest).Count 'no retry'

            Clear-EmulatorRequest
            $context = Set-MgRequestContext -MaxRetry 2 -RetryDelay 0
            Assert-Equal 2 $context.MaxRetry
            Add-EmulatorFault @{ pathContains = 'retry-user'; status = 503; code = 'ServiceUnavailable'; message = 'Try later.'; times = 2 }
            Assert-Equal $true (Set-MgUserPresence -UserId 'retry-user' -SessionId $appId -Availability Away -Activity Away -PassThru)
            Assert-Equal 3 (Get-EmulatorRequest).Count 'two retries'
            $err = Get-ErrorFrom { Set-MgRequestContext -MaxRetry 11 }
            Assert-Like 'ParameterArgumentValidationError,*' $err.FullyQualifiedErrorId
        } finally {
            $null = Set-MgRequestContext -MaxRetry $before.MaxRetry -RetryDelay $before.RetryDelay -RetriesTimeLimit $before.RetriesTimeLimit
        }
    }
}
