# Tab completion of -Availability and -Activity (Pester 5), through TabExpansion2 as the console asks for it. The
# expected values are the domain's (crates/domain/src/values.rs), which generated/PresenceValues.cs carries.
param($ModulePath, $EmulatorUrl)

BeforeAll {
    Import-Module $ModulePath -Force

    function Get-Completion([string] $InputScript) {
        $result = TabExpansion2 -inputScript $InputScript -cursorColumn $InputScript.Length
        @($result.CompletionMatches)
    }

    function Get-CompletionText([string] $InputScript) {
        @(Get-Completion $InputScript | ForEach-Object CompletionText)
    }

    $script:AllAvailabilities = @('Available', 'AvailableIdle', 'Away', 'BeRightBack', 'Busy', 'BusyIdle', 'DoNotDisturb', 'Offline', 'PresenceUnknown')
    $script:AllActivities = @('Available', 'AvailableInactive', 'Away', 'BeRightBack', 'Busy', 'DoNotDisturb', 'Focusing', 'InACall',
        'InAConferenceCall', 'Inactive', 'InAMeeting', 'Offline', 'OffWork', 'OutOfOffice', 'PresenceUnknown', 'Presenting', 'UrgentInterruptionsOnly')
}

Describe 'The values come from the domain' {
    It 'PresenceValues holds the domain''s availability and activity values, in order' {
        [MgPresence.Runtime.PresenceValues]::Availabilities | Should -Be $AllAvailabilities
        [MgPresence.Runtime.PresenceValues]::Activities | Should -Be $AllActivities
    }
}

Describe '-Activity after the availability already typed, for the actions with fixed pairs' {
    It '<Command> -Availability <Availability> -Activity completes to <Expected>' -ForEach @(
        # setUserPreferredPresence (graph-presence-api.md §3.4)
        @{ Command = 'Set-MgUserPresenceUserPreferredPresence -UserId u'; Availability = 'Busy'; Expected = @('Busy') }
        @{ Command = 'Set-MgUserPresenceUserPreferredPresence -UserId u'; Availability = 'Offline'; Expected = @('OffWork') }
        @{ Command = 'Set-MgBetaUserPresenceUserPreferredPresence -UserId u'; Availability = 'donotdisturb'; Expected = @('DoNotDisturb') }
        @{ Command = 'Set-MgCommunicationPresenceUserPreferredPresence -PresenceId u'; Availability = 'BeRightBack'; Expected = @('BeRightBack') }
        @{ Command = 'Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId u'; Availability = 'Away'; Expected = @('Away') }
        # setPresence (§3.3)
        @{ Command = 'Set-MgUserPresence -UserId u -SessionId s'; Availability = 'Busy'; Expected = @('InACall', 'InAConferenceCall') }
        @{ Command = 'Set-MgBetaUserPresence -UserId u -SessionId s'; Availability = 'DoNotDisturb'; Expected = @('Presenting') }
        @{ Command = 'Set-MgCommunicationPresence -PresenceId u -SessionId s'; Availability = 'Available'; Expected = @('Available') }
        @{ Command = 'Set-MgBetaCommunicationPresence -PresenceId u -SessionId s'; Availability = 'Away'; Expected = @('Away') }
    ) {
        Get-CompletionText "$Command -Availability $Availability -Activity " | Should -Be $Expected
    }

    It 'an availability in no pair narrows nothing: every activity of the pairs' {
        Get-CompletionText 'Set-MgUserPresenceUserPreferredPresence -UserId u -Availability Sleeping -Activity ' |
            Should -Be @('Available', 'Away', 'BeRightBack', 'Busy', 'DoNotDisturb', 'OffWork')
    }

    It 'without an availability, -Activity offers the activities of the pairs' {
        Get-CompletionText 'Set-MgUserPresence -UserId u -Activity ' | Should -Be @('Available', 'Away', 'InACall', 'InAConferenceCall', 'Presenting')
    }

    It 'the activity already typed narrows -Availability the same way' {
        Get-CompletionText 'Set-MgUserPresence -UserId u -Activity InACall -Availability ' | Should -Be @('Busy')
    }
}

Describe '-Availability filters by the typed prefix, case-insensitively' {
    It '<Command> -Availability <Prefix> completes to <Expected>' -ForEach @(
        @{ Command = 'Set-MgUserPresenceUserPreferredPresence -UserId u'; Prefix = 'Av'; Expected = @('Available') }
        @{ Command = 'Set-MgBetaUserPresenceUserPreferredPresence -UserId u'; Prefix = 'av'; Expected = @('Available') }
        @{ Command = 'Set-MgUserPresence -UserId u'; Prefix = 'B'; Expected = @('Busy') }
        @{ Command = 'Set-MgUserPresenceUserPreferredPresence -UserId u'; Prefix = 'B'; Expected = @('BeRightBack', 'Busy') }
        # No pair rule (the presence entity): every valid value.
        @{ Command = 'Update-MgUserPresence -UserId u'; Prefix = 'Av'; Expected = @('Available', 'AvailableIdle') }
        @{ Command = 'Update-MgBetaUserPresence -UserId u'; Prefix = 'BUSY'; Expected = @('Busy', 'BusyIdle') }
        @{ Command = 'New-MgCommunicationPresence'; Prefix = 'P'; Expected = @('PresenceUnknown') }
        @{ Command = 'Update-MgBetaCommunicationPresence -PresenceId u'; Prefix = ''
            Expected = @('Available', 'AvailableIdle', 'Away', 'BeRightBack', 'Busy', 'BusyIdle', 'DoNotDisturb', 'Offline', 'PresenceUnknown') }
    ) {
        Get-CompletionText "$Command -Availability $Prefix" | Should -Be $Expected
    }

    It 'a prefix nothing starts with completes to nothing' {
        Get-CompletionText 'Set-MgUserPresence -UserId u -Availability Zz' | Should -BeNullOrEmpty
    }

    It 'activities of a cmdlet without pairs are every valid activity' {
        Get-CompletionText 'Update-MgUserPresence -UserId u -Activity In' | Should -Be @('InACall', 'InAConferenceCall', 'Inactive', 'InAMeeting')
    }
}

Describe 'Completion results are parameter values, quoted as PowerShell quotes them' {
    It 'a result is a ParameterValue whose list text is the value' {
        $match = @(Get-Completion 'Set-MgUserPresence -UserId u -Availability Bu')
        $match.Count | Should -Be 1
        $match[0].ResultType | Should -Be ([System.Management.Automation.CompletionResultType]::ParameterValue)
        $match[0].CompletionText | Should -Be 'Busy'
        $match[0].ListItemText | Should -Be 'Busy'
        $match[0].ToolTip | Should -Match 'InACall'
    }

    It 'a value begun in <Name> quotes completes in the same quotes' -ForEach @(
        @{ Name = 'single'; Typed = "'Bu"; Expected = "'Busy'" }
        @{ Name = 'closed single'; Typed = "'Bu'"; Expected = "'Busy'" }
        @{ Name = 'double'; Typed = '"Bu'; Expected = '"Busy"' }
    ) {
        Get-CompletionText "Set-MgUserPresence -UserId u -Availability $Typed" | Should -Be @($Expected)
    }

    It 'the BodyParameter sets have no -Availability to complete, the expanded ones do' {
        $command = Get-Command Set-MgUserPresence
        $attribute = $command.Parameters['Availability'].Attributes | Where-Object { $_ -is [ArgumentCompleter] }
        $attribute.Type | Should -Be ([MgPresence.Runtime.SetPresenceValueCompleter])
        $bodySets = @($command.ParameterSets | Where-Object { $_.Parameters.Name -contains 'BodyParameter' })
        $bodySets.Count | Should -BeGreaterThan 0
        foreach ($set in $bodySets) { $set.Parameters.Name | Should -Not -Contain 'Availability' }
    }
}
