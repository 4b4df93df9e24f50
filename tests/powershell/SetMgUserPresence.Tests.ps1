# Pester tests of importing the module, Set-MgUserPresence (and its beta twin) and Get-MgUserPresence, in real
# PowerShell against the emulator: parameter sets, common parameters, errors. Run by Invoke-MgPresenceTests.ps1,
# which passes the module's path and the emulator's URL.
param([string] $ModulePath, [string] $EmulatorUrl)

BeforeAll {
    Import-Module "$PSScriptRoot/MgPresence.TestHelpers.psm1"
    Initialize-TestSession -ModulePath $ModulePath -EmulatorUrl $EmulatorUrl
}

Describe 'Importing the module' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It 'exports exactly the functions its manifest lists' {
        $module = Import-Module $ModulePath -Force -PassThru
        $manifest = [System.Management.Automation.Language.Parser]::ParseFile($ModulePath, [ref]$null, [ref]$null)
        $listed = $manifest.EndBlock.Statements[0].PipelineElements[0].Expression.KeyValuePairs |
            Where-Object { $_.Item1.Value -eq 'FunctionsToExport' } |
            ForEach-Object { $_.Item2.PipelineElements[0].Expression.SubExpression.Statements.PipelineElements.Expression.Elements.Value }
        Get-SortedText @($module.ExportedFunctions.Keys) | Should -BeExactly @(Get-SortedText $listed)
        $module.ExportedFunctions.Keys | Should -Contain 'Set-MgUserPresence'
        $module.ExportedFunctions.Keys | Should -Contain 'Set-MgBetaUserPresence'
    }

    It 'connects to the emulator as a custom environment' {
        $null = Add-MgEnvironment -Name Emulator -GraphEndpoint $EmulatorUrl -AzureADEndpoint $EmulatorUrl
        $token = [System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword
        Connect-MgGraph -AccessToken $token -Environment Emulator -NoWelcome
        $context = Get-MgContext
        $context.Environment | Should -BeExactly 'Emulator'
        $context.AuthType | Should -BeExactly 'UserProvidedAccessToken'
        $context.PSObject.Properties.Value | Should -Not -Contain 'test-access-token' -Because 'the token is not in the context'
    }
}

Describe 'Set-MgUserPresence parameter sets' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It 'has the four documented sets, SetExpanded by default' {
        $command = Get-Command Set-MgUserPresence
        Get-SortedText $command.ParameterSets.Name | Should -BeExactly @(Get-SortedText 'SetExpanded', 'Set', 'SetViaIdentityExpanded', 'SetViaIdentity')
        $command.DefaultParameterSet | Should -BeExactly 'SetExpanded'
        $command.Parameters['ExpirationDuration'].ParameterType | Should -Be ([TimeSpan])
        $command.Parameters['UserId'].ParameterType | Should -Be ([string])
        $command.Parameters['Headers'].ParameterType | Should -Be ([System.Collections.IDictionary])
        @($command.Parameters['ResponseHeadersVariable'].Aliases) | Should -BeExactly @('RHV')
        $userIdInSet = $command.ParameterSets | Where-Object Name -eq 'Set' | ForEach-Object { $_.Parameters | Where-Object Name -eq 'UserId' }
        $userIdInSet.IsMandatory | Should -BeTrue -Because 'UserId is mandatory in Set'
        $inputObject = $command.ParameterSets | Where-Object Name -eq 'SetViaIdentity' | ForEach-Object { $_.Parameters | Where-Object Name -eq 'InputObject' }
        $inputObject.IsMandatory | Should -BeTrue -Because 'InputObject is mandatory in SetViaIdentity'
        $inputObject.ValueFromPipeline | Should -BeTrue -Because 'InputObject is bound from the pipeline'
        $command.Parameters.Keys | Should -Contain 'WhatIf'
        $command.Parameters.Keys | Should -Contain 'Confirm'
        $command.Parameters.Keys | Should -Contain 'PassThru'
    }

    It 'SetExpanded sends the expanded parameters, with the TimeSpan as ISO 8601' {
        $out = Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Busy -Activity InACall -ExpirationDuration '01:30:00'
        $out | Should -BeNullOrEmpty -Because 'there is no output without -PassThru'
        $requests = @(Get-EmulatorRequest)
        $requests | Should -HaveCount 1
        $requests[0].method | Should -BeExactly 'POST'
        $requests[0].path | Should -BeExactly "/v1.0/users/$userId/presence/setPresence"
        Format-Body $requests[0].body | Should -BeExactly "sessionId=$appId;availability=Busy;activity=InACall;expirationDuration=PT1H30M"
        $requests[0].headers['authorization'] | Should -BeLike 'Bearer *'
        $requests[0].headers['client-request-id'].Length | Should -Be 36
    }

    It 'SetExpanded merges -AdditionalProperties after the typed members' {
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -AdditionalProperties @{ note = 'kept' }
        Format-Body @(Get-EmulatorRequest)[0].body | Should -BeExactly "sessionId=$appId;availability=Away;activity=Away;note=kept"
    }

    It 'Set takes a hashtable -BodyParameter with keys in any case, keeping unknown keys' {
        $body = @{ SESSIONID = $appId; availability = 'available'; Activity = 'Available'; ExpirationDuration = 'PT2H'; customFlag = $true }
        Set-MgUserPresence -UserId $userId -BodyParameter $body
        $sent = @(Get-EmulatorRequest)[0].body
        $sent['sessionId'] | Should -BeExactly $appId
        $sent['availability'] | Should -BeExactly 'Available'
        $sent['expirationDuration'] | Should -BeExactly 'PT2H'
        $sent['customFlag'] | Should -Be $true
    }

    It 'Set takes a JSON string -BodyParameter' {
        Set-MgUserPresence -UserId $userId -BodyParameter ('{"sessionId":"' + $appId + '","availability":"Away","activity":"Away"}')
        Format-Body @(Get-EmulatorRequest)[0].body | Should -BeExactly "sessionId=$appId;availability=Away;activity=Away"
    }

    It 'Set takes an object -BodyParameter' {
        $body = [pscustomobject]@{ SessionId = $appId; Availability = 'DoNotDisturb'; Activity = 'Presenting'; ExpirationDuration = [TimeSpan]::FromMinutes(5) }
        Set-MgUserPresence -UserId $userId -BodyParameter $body
        Format-Body @(Get-EmulatorRequest)[0].body | Should -BeExactly "sessionId=$appId;availability=DoNotDisturb;activity=Presenting;expirationDuration=PT5M"
    }

    It 'SetViaIdentityExpanded reads UserId from -InputObject' {
        Set-MgUserPresence -InputObject @{ UserId = 'user-two' } -SessionId $appId -Availability Away -Activity Away
        @(Get-EmulatorRequest)[0].path | Should -BeExactly '/v1.0/users/user-two/presence/setPresence'
    }

    It 'SetViaIdentity takes -InputObject and -BodyParameter' {
        Set-MgUserPresence -InputObject @{ userid = 'user-three' } -BodyParameter @{ sessionId = $appId; availability = 'Away'; activity = 'Away' }
        $sent = @(Get-EmulatorRequest)[0]
        $sent.path | Should -BeExactly '/v1.0/users/user-three/presence/setPresence'
        Format-Body $sent.body | Should -BeExactly "sessionId=$appId;availability=Away;activity=Away"
    }

    It 'binds a piped identity object by value, one request per object' {
        $identities = @([pscustomobject]@{ UserId = 'piped-1' }, [pscustomobject]@{ UserId = 'piped-2' })
        $identities | Set-MgUserPresence -SessionId $appId -Availability Away -Activity Away
        @(Get-EmulatorRequest | ForEach-Object { $_.path }) | Should -BeExactly @('/v1.0/users/piped-1/presence/setPresence', '/v1.0/users/piped-2/presence/setPresence')
    }

    It 'binds piped objects by their UserId property, whatever else they carry' {
        $users = @([pscustomobject]@{ DisplayName = 'Ann'; UserId = 'by-name-1'; Mail = 'ann@example.com' })
        $users | Set-MgUserPresence -SessionId $appId -Availability Busy -Activity InAConferenceCall -PassThru | Out-Null
        @(Get-EmulatorRequest)[0].path | Should -BeExactly '/v1.0/users/by-name-1/presence/setPresence'
    }

    It 'a piped identity hashtable binds to -InputObject' {
        @{ UserId = 'hash-user' } | Set-MgUserPresence -SessionId $appId -Availability Away -Activity Away
        @(Get-EmulatorRequest)[0].path | Should -BeExactly '/v1.0/users/hash-user/presence/setPresence'
    }

    It 'a JSON identity string binds too' {
        '{"UserId":"json-user"}' | Set-MgUserPresence -SessionId $appId -Availability Away -Activity Away
        @(Get-EmulatorRequest)[0].path | Should -BeExactly '/v1.0/users/json-user/presence/setPresence'
    }
}

Describe 'Set-MgUserPresence common parameters' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It '-PassThru outputs $true' {
        $out = Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -PassThru
        $out | Should -Be $true
        $out.GetType() | Should -Be ([bool])
    }

    It '-WhatIf sends nothing and outputs nothing' {
        $out = Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -PassThru -WhatIf
        $out | Should -BeNullOrEmpty
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It '-WhatIf prints the operation and target Microsoft prints' {
        $child = Start-ChildPowerShell "Import-Module '$ModulePath'; Set-MgUserPresence -UserId u -SessionId s -Availability Away -Activity Away -WhatIf"
        $text = $child.StandardOutput.ReadToEnd()
        $child.WaitForExit()
        $text | Should -BeLikeExactly '*What if: Performing the operation "Set-MgUserPresence_SetExpanded" on target "Call remote ''POST /users/{user-id}/presence/microsoft.graph.setPresence'' operation".*'
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It 'a global $WhatIfPreference sends nothing, as -WhatIf (a caller''s local one is not seen, as with Microsoft''s proxy functions)' {
        try {
            $global:WhatIfPreference = $true
            Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away
        } finally {
            $global:WhatIfPreference = $false
        }
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It '-Verbose writes the ShouldProcess line with the operation and target, and sends' {
        $verbose = @(Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -Verbose 4>&1)
        ($verbose | ForEach-Object { $_.Message }) -join "`n" |
            Should -BeLikeExactly '*Performing the operation "Set-MgUserPresence_SetExpanded" on target "Call remote ''POST /users/{user-id}/presence/microsoft.graph.setPresence'' operation".*'
        @(Get-EmulatorRequest) | Should -HaveCount 1
    }

    It '$ConfirmPreference Medium asks first (and a non-interactive host cannot, so nothing is sent)' {
        $child = Start-ChildPowerShell "Import-Module '$ModulePath'; `$ConfirmPreference = 'Medium'; try { Set-MgUserPresence -UserId u -SessionId s -Availability Away -Activity Away -ErrorAction Stop; 'sent' } catch { 'refused: ' + `$_.Exception.Message }"
        $text = $child.StandardOutput.ReadToEnd()
        $child.WaitForExit()
        $text | Should -BeLikeExactly '*refused: *'
        $text | Should -BeLikeExactly '*NonInteractive*'
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It '$ConfirmPreference High (the default) and None send without asking' {
        & { $ConfirmPreference = 'None'; Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away }
        & { $ConfirmPreference = 'High'; Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away }
        @(Get-EmulatorRequest) | Should -HaveCount 2
    }

    It '-Confirm:$false sends' {
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -Confirm:$false
        @(Get-EmulatorRequest) | Should -HaveCount 1
    }

    It '-ResponseHeadersVariable sets a global variable of response headers' {
        $global:presenceHeaders = $null
        & { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -ResponseHeadersVariable presenceHeaders }
        $headers = $global:presenceHeaders
        $headers | Should -Not -BeNullOrEmpty -Because 'the variable is set in the global scope'
        @($headers['Request-Id'])[0].Length | Should -Be 36
        @($headers['client-request-id'])[0] | Should -BeExactly @(Get-EmulatorRequest)[0].headers['client-request-id']
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -RHV viaAlias
        $global:viaAlias | Should -Not -BeNullOrEmpty -Because 'the RHV alias works'
    }

    It '-Headers adds request headers' {
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -Headers @{ 'x-ms-test' = 'abc'; ConsistencyLevel = 'eventual' }
        $sent = @(Get-EmulatorRequest)[0].headers
        $sent['x-ms-test'] | Should -BeExactly 'abc'
        $sent['consistencylevel'] | Should -BeExactly 'eventual'
    }

    It '-Headers cannot replace the Authorization header' {
        $err = { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -Headers @{ Authorization = 'Bearer other' } } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ReservedHeader,*'
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It '-Debug shows the request and response, the Authorization header redacted' {
        $debug = Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -Debug 5>&1
        $text = ($debug | ForEach-Object { "$_" }) -join "`n"
        $text | Should -BeLikeExactly '*============================ HTTP REQUEST ============================*'
        $text | Should -BeLikeExactly "*HTTP Method:`nPOST*"
        $text | Should -BeLikeExactly "*$EmulatorUrl/v1.0/users/$userId/presence/setPresence*"
        $text | Should -BeLikeExactly '*"availability": "Away"*'
        $text | Should -BeLikeExactly '*Status Code:*'
        $text | Should -Not -BeLikeExactly '*test-access-token*' -Because 'the token never appears'
        $text | Should -Match '(?im)^authorization\s+: Bearer <redacted>$' -Because 'the Authorization header shows only its scheme'
    }

    It '-HttpPipelineAppend gives a clear error and sends nothing' {
        $err = { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -HttpPipelineAppend @({ }) } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'HttpPipelineStepsNotSupported,*'
        $err.CategoryInfo.Category | Should -Be 'NotImplemented'
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It '-Break waits for a debugger to attach, naming the process' {
        $child = Start-ChildPowerShell "Import-Module '$ModulePath'; Set-MgUserPresence -UserId u -SessionId s -Availability Away -Activity Away -Break"
        try {
            $line = $child.StandardOutput.ReadLine()
            $line | Should -BeLikeExactly "*Waiting for a debugger to attach to process $($child.Id)*"
            $child.WaitForExit(1000) | Should -BeFalse -Because 'it keeps waiting'
        } finally {
            $child.Kill($true)
            $child.WaitForExit()
        }
        @(Get-EmulatorRequest) | Should -HaveCount 0 -Because 'nothing was sent while waiting'
    }

    It 'Set-MgBetaUserPresence calls the beta endpoint' {
        Set-MgBetaUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away
        @(Get-EmulatorRequest)[0].path | Should -BeExactly "/beta/users/$userId/presence/setPresence"
    }
}

Describe 'Set-MgUserPresence errors' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It 'a Graph error becomes an ErrorRecord whose id starts with the Graph code' {
        Add-EmulatorFault @{ method = 'POST'; pathContains = 'setPresence'; status = 403; code = 'Forbidden'; message = 'Insufficient privileges to complete the operation.'; times = 1 }
        $errors = @()
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors | Should -HaveCount 1 -Because 'the error is one non-terminating error'
        $err = $errors[0]
        $err.FullyQualifiedErrorId | Should -BeLike 'Forbidden,*'
        $err.Exception.Message | Should -BeExactly '[Forbidden] : Insufficient privileges to complete the operation.'
        $err.ErrorDetails.Message | Should -BeLikeExactly '*ErrorCode: Forbidden*'
        $err.ErrorDetails.Message | Should -BeLikeExactly '*Status: 403 (Forbidden)*'
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err.TargetObject.UserId | Should -BeExactly $userId
        $err.ErrorDetails.Message | Should -Not -BeLikeExactly '*test-access-token*'
    }

    It 'an unsupported pair is refused before sending' {
        $err = { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability DoNotDisturb -Activity OutOfOffice } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeExactly 'InvalidArgument,Microsoft.Graph.PowerShell.Cmdlets.SetMgUserPresence_SetExpanded'
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err.Exception.Message | Should -BeLikeExactly '*DoNotDisturb/Presenting*'
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It 'a <Length> expiration is refused before sending' -ForEach @(
        @{ Length = '3-minute'; Duration = '00:03:00' }
        @{ Length = '5-hour'; Duration = '05:00:00' }
    ) {
        $err = { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Available -Activity Available -ExpirationDuration $Duration } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidArgument,*'
        $err.Exception.Message | Should -BeLikeExactly '`[InvalidArgument`] : The provided `[ExpirationDuration`] is out of range*'
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It 'an ISO 8601 text is not a [TimeSpan] for -ExpirationDuration' {
        $err = { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Available -Activity Available -ExpirationDuration 'PT1H' } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentTransformationError,*'
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It 'a missing UserId is a parameter binding error' {
        { Set-MgUserPresence -SessionId $appId -Availability Available -Activity Available } |
            Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It 'an identity without UserId stops the pipeline with Microsoft''s message' {
        $err = { Set-MgUserPresence -InputObject @{ Id = 'not-a-user-id' } -SessionId $appId -Availability Away -Activity Away } | Should -Throw -PassThru
        $err.Exception.Message | Should -BeExactly 'InputObject has null value for InputObject.UserId'
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It 'a -BodyParameter that is <Reason> is refused with the reason' -ForEach @(
        @{ Reason = 'not a JSON object'; Body = 42 }
        @{ Reason = 'not valid JSON'; Body = 'not json' }
    ) {
        $err = { Set-MgUserPresence -UserId $userId -BodyParameter $Body } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidBodyParameter,*'
        $err.Exception.Message | Should -BeLikeExactly "*$Reason*"
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It 'a -BodyParameter value that is not ISO 8601 is refused with the reason' {
        $err = { Set-MgUserPresence -UserId $userId -BodyParameter @{ sessionId = $appId; availability = 'Away'; activity = 'Away'; expirationDuration = '1 hour' } } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'BadRequest,*'
        $err.Exception.Message | Should -BeLikeExactly '*ISO 8601*'
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It 'without a connection the error says to connect' {
        Disconnect-MgGraph
        try {
            $err = { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away } | Should -Throw -PassThru
            $err.Exception.Message | Should -BeExactly 'Authentication needed. Please call Connect-MgGraph.'
            $err.FullyQualifiedErrorId | Should -BeLike 'NotConnected,*'
        } finally {
            Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword) -Environment Emulator -NoWelcome
        }
        @(Get-EmulatorRequest) | Should -HaveCount 0
    }

    It 'a panic inside the engine is an exception, and the host goes on' {
        $err = { [MgPresence.Runtime.Engine]::PanicForDiagnostics('deliberate panic') } | Should -Throw -PassThru
        $err.Exception.Message | Should -BeLikeExactly '*deliberate panic*'
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -PassThru | Should -Be $true -Because 'calls still work'
    }
}

Describe 'Get-MgUserPresence' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It 'reads back what Set-MgUserPresence set, as a typed presence object' {
        Set-MgUserPresence -UserId 'reader' -SessionId $appId -Availability Busy -Activity InACall -ExpirationDuration ([TimeSpan]::FromHours(1))
        $presence = Get-MgUserPresence -UserId 'reader'
        $presence.PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence'
        $presence.Id | Should -BeExactly 'reader'
        $presence.Availability | Should -BeExactly 'Busy'
        $presence.Activity | Should -BeExactly 'InACall'
        $presence.OutOfOfficeSettings.IsOutOfOffice | Should -Be $false
        $presence.SequenceNumber | Should -BeLike 'A*' -Because 'sequenceNumber is a member of the current model'
    }

    It '-Property sends $select' {
        Get-MgUserPresence -UserId 'reader' -Property availability, activity | Out-Null
        @(Get-EmulatorRequest)[0].query | Should -BeExactly '$select=availability%2Cactivity'
    }

    It 'has no -WhatIf or -PassThru, like Microsoft''s' {
        $command = Get-Command Get-MgUserPresence
        $command.Parameters.Keys | Should -Not -Contain 'WhatIf'
        $command.Parameters.Keys | Should -Not -Contain 'PassThru'
        Get-SortedText $command.ParameterSets.Name | Should -BeExactly @(Get-SortedText 'Get', 'GetViaIdentity')
    }
}
