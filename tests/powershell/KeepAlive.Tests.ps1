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
