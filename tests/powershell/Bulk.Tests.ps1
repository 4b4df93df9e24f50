# Pester tests of Invoke-MgBulkUserPresence: many users through $batch, an outcome per user, nothing lost. In real
# PowerShell against the emulator; run by Invoke-MgPresenceTests.ps1, which passes the module's path and the
# emulator's URL.
param([string] $ModulePath, [string] $EmulatorUrl)

BeforeAll {
    Import-Module "$PSScriptRoot/MgPresence.TestHelpers.psm1"
    Initialize-TestSession -ModulePath $ModulePath -EmulatorUrl $EmulatorUrl

    # The availability the emulator holds for each id, read 500 ids a call.
    function Get-EmulatorAvailability {
        param([string[]] $Ids)
        $result = @{}
        for ($i = 0; $i -lt $Ids.Count; $i += 500) {
            $chunk = $Ids[$i..([Math]::Min($i + 499, $Ids.Count - 1))]
            foreach ($p in (Get-MgCommunicationPresenceByUserId -Ids $chunk)) { $result[$p.Id] = $p.Availability }
        }
        $result
    }
}

Describe 'Invoke-MgBulkUserPresence' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It 'sets 500 users through batches of at most 20, one outcome each' {
        $users = foreach ($i in 1..500) { [pscustomobject]@{ UserId = "bulk-$i"; Department = 'Sales' } }
        $outcomes = @($users | Invoke-MgBulkUserPresence -SessionId $appId -Availability Busy -Activity InACall -ExpirationDuration '01:00:00')
        $outcomes | Should -HaveCount 500
        @($outcomes | Where-Object Succeeded) | Should -HaveCount 500
        $outcomes[0].PSObject.TypeNames[0] | Should -BeExactly 'MgPresence.BulkOutcome'
        $recorded = @(Get-EmulatorRequest)
        $batches = @($recorded | Where-Object { $_.path -eq '/v1.0/$batch' })
        $batches.Count | Should -BeGreaterOrEqual 25
        ($batches | ForEach-Object { $_.body['requests'].Count } | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual 20 -Because 'no batch holds over 20 requests'
        $first = $batches[0].body['requests'][0]
        $first['body']['expirationDuration'] | Should -BeExactly 'PT1H'
        (Get-MgUserPresence -UserId 'bulk-250').Availability | Should -BeExactly 'Busy'
    }

    It 'per-user values override the parameters, and invalid items are reported, not sent' {
        $items = @(
            @{ UserId = 'bulk-own-1'; Availability = 'Away'; Activity = 'Away' },
            @{ UserId = 'bulk-own-2' },
            @{ UserId = 'bulk-own-3'; Activity = 'OutOfOffice' }
        )
        $outcomes = @($items | Invoke-MgBulkUserPresence -SessionId $appId -Availability Busy -Activity InACall)
        @($outcomes | ForEach-Object { $_.Succeeded }) | Should -Be @($true, $true, $false)
        $outcomes[2].ErrorCode | Should -BeExactly 'InvalidArgument' -Because 'the code the service answers such a pair with'
        $outcomes[2].Attempts | Should -Be 0
        (Get-MgUserPresence -UserId 'bulk-own-1').Availability | Should -BeExactly 'Away'
        (Get-MgUserPresence -UserId 'bulk-own-2').Availability | Should -BeExactly 'Busy'
    }

    It 'with 20% injected faults every user is set or reported failed' {
        Invoke-EmulatorControl '/_emulator/fault-rates' '{"throttled":0.1,"unavailable":0.05,"gatewayTimeout":0.05,"retryAfterSeconds":0}' | Out-Null
        try {
            $run = [guid]::NewGuid().ToString('n').Substring(0, 8)
            $ids = foreach ($i in 1..1000) { "faulty-$run-$i" }
            $outcomes = @($ids | ForEach-Object { @{ UserId = $_ } } | Invoke-MgBulkUserPresence -SessionId $appId -Availability DoNotDisturb -Activity Presenting)
        } finally {
            Invoke-EmulatorControl '/_emulator/fault-rates' '{}' | Out-Null
        }
        $outcomes | Should -HaveCount 1000
        $state = Get-EmulatorAvailability $ids
        $misreported = @($outcomes | Where-Object { ($state[$_.UserId] -eq 'DoNotDisturb') -ne $_.Succeeded } |
                ForEach-Object { "$($_.UserId): set=$($state[$_.UserId] -eq 'DoNotDisturb') but Succeeded=$($_.Succeeded)" })
        $misreported | Should -HaveCount 0 -Because 'each outcome says whether its user was set'
        @($outcomes | Where-Object { -not $_.Succeeded }).Count | Should -BeLessThan 20 -Because 'retries absorb the faults'
    }

    It '-WhatIf sends nothing' {
        $out = @(@{ UserId = 'bulk-whatif' } | Invoke-MgBulkUserPresence -SessionId $appId -Availability Away -Activity Away -WhatIf)
        $out | Should -HaveCount 0
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }
}
