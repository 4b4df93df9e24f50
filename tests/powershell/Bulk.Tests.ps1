# Invoke-MgBulkUserPresence: many users through $batch, an outcome per user, nothing lost. Against the emulator.

$appId = '22553876-f5ab-4529-bffb-cfe50aa89f87'

function Get-EmulatorPresences {
    param([string[]] $Ids)
    $result = @{}
    for ($i = 0; $i -lt $Ids.Count; $i += 500) {
        $chunk = $Ids[$i..([Math]::Min($i + 499, $Ids.Count - 1))]
        foreach ($p in (Get-MgCommunicationPresenceByUserId -Ids $chunk)) { $result[$p.Id] = $p.Availability }
    }
    $result
}

Describe 'Invoke-MgBulkUserPresence' {
    It 'sets 500 users through batches of at most 20, one outcome each' {
        $users = foreach ($i in 1..500) { [pscustomobject]@{ UserId = "bulk-$i"; Department = 'Sales' } }
        $outcomes = @($users | Invoke-MgBulkUserPresence -SessionId $appId -Availability Busy -Activity InACall -ExpirationDuration '01:00:00')
        Assert-Equal 500 $outcomes.Count
        Assert-Equal 500 @($outcomes | Where-Object Succeeded).Count
        Assert-Equal 'MgPresence.BulkOutcome' $outcomes[0].PSObject.TypeNames[0]
        $recorded = Get-EmulatorRequest
        $batches = @($recorded | Where-Object { $_.path -eq '/v1.0/$batch' })
        Assert-True ($batches.Count -ge 25) "$($batches.Count) batches"
        Assert-True (@($batches | Where-Object { $_.body['requests'].Count -gt 20 }).Count -eq 0) 'no batch over 20'
        $first = $batches[0].body['requests'][0]
        Assert-Equal 'PT1H' $first['body']['expirationDuration']
        Assert-Equal 'Busy' (Get-MgUserPresence -UserId 'bulk-250').Availability
    }

    It 'per-user values override the parameters, and invalid items are reported, not sent' {
        $items = @(
            @{ UserId = 'bulk-own-1'; Availability = 'Away'; Activity = 'Away' },
            @{ UserId = 'bulk-own-2' },
            @{ UserId = 'bulk-own-3'; Activity = 'OutOfOffice' }
        )
        $outcomes = @($items | Invoke-MgBulkUserPresence -SessionId $appId -Availability Busy -Activity InACall)
        Assert-SequenceEqual @($true, $true, $false) @($outcomes | ForEach-Object { $_.Succeeded })
        Assert-Equal 'UnsupportedPresenceCombination' $outcomes[2].ErrorCode
        Assert-Equal 0 $outcomes[2].Attempts
        Assert-Equal 'Away' (Get-MgUserPresence -UserId 'bulk-own-1').Availability
        Assert-Equal 'Busy' (Get-MgUserPresence -UserId 'bulk-own-2').Availability
    }

    It 'with 20% injected faults every user is set or reported failed' {
        $null = $script:Http.PostAsync("$script:EmulatorUrl/_emulator/fault-rates", [System.Net.Http.StringContent]::new(
                '{"throttled":0.1,"unavailable":0.05,"gatewayTimeout":0.05,"retryAfterSeconds":0}', [System.Text.Encoding]::UTF8, 'application/json')).GetAwaiter().GetResult()
        try {
            $run = [guid]::NewGuid().ToString('n').Substring(0, 8)
            $ids = foreach ($i in 1..1000) { "faulty-$run-$i" }
            $outcomes = @($ids | ForEach-Object { @{ UserId = $_ } } | Invoke-MgBulkUserPresence -SessionId $appId -Availability DoNotDisturb -Activity Presenting)
        } finally {
            $null = $script:Http.PostAsync("$script:EmulatorUrl/_emulator/fault-rates", [System.Net.Http.StringContent]::new('{}', [System.Text.Encoding]::UTF8, 'application/json')).GetAwaiter().GetResult()
        }
        Assert-Equal 1000 $outcomes.Count
        $state = Get-EmulatorPresences $ids
        foreach ($o in $outcomes) {
            $set = $state[$o.UserId] -eq 'DoNotDisturb'
            if ($set -ne $o.Succeeded) { throw "$($o.UserId): set=$set but outcome says Succeeded=$($o.Succeeded)" }
        }
        Assert-True (@($outcomes | Where-Object { -not $_.Succeeded }).Count -lt 20) 'retries absorb the faults'
    }

    It '-WhatIf sends nothing' {
        $out = @(@{ UserId = 'bulk-whatif' } | Invoke-MgBulkUserPresence -SessionId $appId -Availability Away -Activity Away -WhatIf)
        Assert-Equal 0 $out.Count
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }
}
