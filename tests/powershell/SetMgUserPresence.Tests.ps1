# Set-MgUserPresence (and its beta twin), imported in real PowerShell, against the emulator.
# Dot-sourced by Invoke-MgPresenceTests.ps1, which provides $script:ModulePath, $script:EmulatorUrl and the framework.

$userId = 'fa8bf3dc-eca7-46b7-bad1-db199b62afc3'
$appId = '22553876-f5ab-4529-bffb-cfe50aa89f87'

Describe 'Importing the module' {
    It 'exports exactly the functions its manifest lists' {
        $module = Import-Module $script:ModulePath -Force -PassThru
        $manifest = [System.Management.Automation.Language.Parser]::ParseFile($script:ModulePath, [ref]$null, [ref]$null)
        $listed = $manifest.EndBlock.Statements[0].PipelineElements[0].Expression.KeyValuePairs |
            Where-Object { $_.Item1.Value -eq 'FunctionsToExport' } |
            ForEach-Object { $_.Item2.PipelineElements[0].Expression.SubExpression.Statements.PipelineElements.Expression.Elements.Value }
        Assert-SequenceEqual (Get-SortedText $listed) (Get-SortedText @($module.ExportedFunctions.Keys))
        Assert-True ($module.ExportedFunctions.ContainsKey('Set-MgUserPresence'))
        Assert-True ($module.ExportedFunctions.ContainsKey('Set-MgBetaUserPresence'))
    }

    It 'connects to the emulator as a custom environment' {
        $null = Add-MgEnvironment -Name Emulator -GraphEndpoint $script:EmulatorUrl -AzureADEndpoint $script:EmulatorUrl
        $token = [System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword
        Connect-MgGraph -AccessToken $token -Environment Emulator -NoWelcome
        $context = Get-MgContext
        Assert-Equal 'Emulator' $context.Environment
        Assert-Equal 'UserProvidedAccessToken' $context.AuthType
        Assert-True (-not ($context.PSObject.Properties.Value -contains 'test-access-token')) 'the token is not in the context'
    }
}

Describe 'Set-MgUserPresence parameter sets' {
    It 'has the four documented sets, SetExpanded by default' {
        $command = Get-Command Set-MgUserPresence
        Assert-SequenceEqual (Get-SortedText 'SetExpanded', 'Set', 'SetViaIdentityExpanded', 'SetViaIdentity') (Get-SortedText $command.ParameterSets.Name)
        Assert-Equal 'SetExpanded' $command.DefaultParameterSet
        Assert-Equal ([TimeSpan]) $command.Parameters['ExpirationDuration'].ParameterType
        Assert-Equal ([string]) $command.Parameters['UserId'].ParameterType
        Assert-Equal ([System.Collections.IDictionary]) $command.Parameters['Headers'].ParameterType
        Assert-SequenceEqual @('RHV') @($command.Parameters['ResponseHeadersVariable'].Aliases)
        $userId = $command.ParameterSets | Where-Object Name -eq 'Set' | ForEach-Object { $_.Parameters | Where-Object Name -eq 'UserId' }
        Assert-True $userId.IsMandatory 'UserId is mandatory in Set'
        $input = $command.ParameterSets | Where-Object Name -eq 'SetViaIdentity' | ForEach-Object { $_.Parameters | Where-Object Name -eq 'InputObject' }
        Assert-True ($input.IsMandatory -and $input.ValueFromPipeline) 'InputObject is mandatory and bound from the pipeline'
        Assert-True ($command.Parameters.ContainsKey('WhatIf') -and $command.Parameters.ContainsKey('Confirm') -and $command.Parameters.ContainsKey('PassThru'))
    }

    It 'SetExpanded sends the expanded parameters, with the TimeSpan as ISO 8601' {
        $out = Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Busy -Activity InACall -ExpirationDuration '01:30:00'
        Assert-Equal $null $out 'no output without -PassThru'
        $requests = Get-EmulatorRequest
        Assert-Equal 1 $requests.Count
        Assert-Equal 'POST' $requests[0].method
        Assert-Equal "/v1.0/users/$userId/presence/setPresence" $requests[0].path
        Assert-Equal "sessionId=$appId;availability=Busy;activity=InACall;expirationDuration=PT1H30M" (Format-Body $requests[0].body)
        Assert-Like 'Bearer *' $requests[0].headers['authorization']
        Assert-Equal 36 $requests[0].headers['client-request-id'].Length
    }

    It 'SetExpanded merges -AdditionalProperties after the typed members' {
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -AdditionalProperties @{ note = 'kept' }
        Assert-Equal "sessionId=$appId;availability=Away;activity=Away;note=kept" (Format-Body (Get-EmulatorRequest)[0].body)
    }

    It 'Set takes a hashtable -BodyParameter with keys in any case, keeping unknown keys' {
        $body = @{ SESSIONID = $appId; availability = 'available'; Activity = 'Available'; ExpirationDuration = 'PT2H'; customFlag = $true }
        Set-MgUserPresence -UserId $userId -BodyParameter $body
        $sent = (Get-EmulatorRequest)[0].body
        Assert-Equal $appId $sent['sessionId']
        Assert-Equal 'Available' $sent['availability']
        Assert-Equal 'PT2H' $sent['expirationDuration']
        Assert-Equal $true $sent['customFlag']
    }

    It 'Set takes a JSON string -BodyParameter' {
        Set-MgUserPresence -UserId $userId -BodyParameter ('{"sessionId":"' + $appId + '","availability":"Away","activity":"Away"}')
        Assert-Equal "sessionId=$appId;availability=Away;activity=Away" (Format-Body (Get-EmulatorRequest)[0].body)
    }

    It 'Set takes an object -BodyParameter' {
        $body = [pscustomobject]@{ SessionId = $appId; Availability = 'DoNotDisturb'; Activity = 'Presenting'; ExpirationDuration = [TimeSpan]::FromMinutes(5) }
        Set-MgUserPresence -UserId $userId -BodyParameter $body
        Assert-Equal "sessionId=$appId;availability=DoNotDisturb;activity=Presenting;expirationDuration=PT5M" (Format-Body (Get-EmulatorRequest)[0].body)
    }

    It 'SetViaIdentityExpanded reads UserId from -InputObject' {
        Set-MgUserPresence -InputObject @{ UserId = 'user-two' } -SessionId $appId -Availability Away -Activity Away
        Assert-Equal '/v1.0/users/user-two/presence/setPresence' (Get-EmulatorRequest)[0].path
    }

    It 'SetViaIdentity takes -InputObject and -BodyParameter' {
        Set-MgUserPresence -InputObject @{ userid = 'user-three' } -BodyParameter @{ sessionId = $appId; availability = 'Away'; activity = 'Away' }
        $sent = (Get-EmulatorRequest)[0]
        Assert-Equal '/v1.0/users/user-three/presence/setPresence' $sent.path
        Assert-Equal "sessionId=$appId;availability=Away;activity=Away" (Format-Body $sent.body)
    }

    It 'binds a piped identity object by value, one request per object' {
        $identities = @([pscustomobject]@{ UserId = 'piped-1' }, [pscustomobject]@{ UserId = 'piped-2' })
        $identities | Set-MgUserPresence -SessionId $appId -Availability Away -Activity Away
        Assert-SequenceEqual @('/v1.0/users/piped-1/presence/setPresence', '/v1.0/users/piped-2/presence/setPresence') @((Get-EmulatorRequest) | ForEach-Object { $_.path })
    }

    It 'binds piped objects by their UserId property, whatever else they carry' {
        $users = @([pscustomobject]@{ DisplayName = 'Ann'; UserId = 'by-name-1'; Mail = 'ann@example.com' })
        $users | Set-MgUserPresence -SessionId $appId -Availability Busy -Activity InAConferenceCall -PassThru | Out-Null
        Assert-Equal '/v1.0/users/by-name-1/presence/setPresence' (Get-EmulatorRequest)[0].path
    }

    It 'a piped identity hashtable binds to -InputObject' {
        @{ UserId = 'hash-user' } | Set-MgUserPresence -SessionId $appId -Availability Away -Activity Away
        Assert-Equal '/v1.0/users/hash-user/presence/setPresence' (Get-EmulatorRequest)[0].path
    }

    It 'a JSON identity string binds too' {
        '{"UserId":"json-user"}' | Set-MgUserPresence -SessionId $appId -Availability Away -Activity Away
        Assert-Equal '/v1.0/users/json-user/presence/setPresence' (Get-EmulatorRequest)[0].path
    }
}

Describe 'Set-MgUserPresence common parameters' {
    It '-PassThru outputs $true' {
        $out = Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -PassThru
        Assert-Equal $true $out
        Assert-Equal ([bool]) $out.GetType()
    }

    It '-WhatIf sends nothing and outputs nothing' {
        $out = Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -PassThru -WhatIf
        Assert-Equal $null $out
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It '-WhatIf prints the operation and target Microsoft prints' {
        $child = Start-ChildPowerShell "Import-Module '$($script:ModulePath)'; Set-MgUserPresence -UserId u -SessionId s -Availability Away -Activity Away -WhatIf"
        $text = $child.StandardOutput.ReadToEnd()
        $child.WaitForExit()
        Assert-Contains 'What if: Performing the operation "Set-MgUserPresence_SetExpanded" on target "Call remote ''POST /users/{user-id}/presence/microsoft.graph.setPresence'' operation".' $text
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It 'a global $WhatIfPreference sends nothing, as -WhatIf (a caller''s local one is not seen, as with Microsoft''s proxy functions)' {
        try {
            $global:WhatIfPreference = $true
            Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away
        } finally {
            $global:WhatIfPreference = $false
        }
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It '-Verbose writes the ShouldProcess line with the operation and target, and sends' {
        $verbose = @(Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -Verbose 4>&1)
        Assert-Contains 'Performing the operation "Set-MgUserPresence_SetExpanded" on target "Call remote ''POST /users/{user-id}/presence/microsoft.graph.setPresence'' operation".' (($verbose | ForEach-Object { $_.Message }) -join "`n")
        Assert-Equal 1 (Get-EmulatorRequest).Count
    }

    It '$ConfirmPreference Medium asks first (and a non-interactive host cannot, so nothing is sent)' {
        $child = Start-ChildPowerShell "Import-Module '$($script:ModulePath)'; `$ConfirmPreference = 'Medium'; try { Set-MgUserPresence -UserId u -SessionId s -Availability Away -Activity Away -ErrorAction Stop; 'sent' } catch { 'refused: ' + `$_.Exception.Message }"
        $text = $child.StandardOutput.ReadToEnd()
        $child.WaitForExit()
        Assert-Contains 'refused: ' $text
        Assert-Contains 'NonInteractive' $text
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It '$ConfirmPreference High (the default) and None send without asking' {
        & { $ConfirmPreference = 'None'; Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away }
        & { $ConfirmPreference = 'High'; Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away }
        Assert-Equal 2 (Get-EmulatorRequest).Count
    }

    It '-Confirm:$false sends' {
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -Confirm:$false
        Assert-Equal 1 (Get-EmulatorRequest).Count
    }

    It '-ResponseHeadersVariable sets a global variable of response headers' {
        $global:presenceHeaders = $null
        & { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -ResponseHeadersVariable presenceHeaders }
        $headers = $global:presenceHeaders
        Assert-True ($null -ne $headers) 'the variable is set in the global scope'
        $requestId = @($headers['Request-Id'])[0]
        Assert-Equal 36 $requestId.Length
        Assert-Equal (Get-EmulatorRequest)[0].headers['client-request-id'] @($headers['client-request-id'])[0]
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -RHV viaAlias
        Assert-True ($null -ne $global:viaAlias) 'the RHV alias works'
    }

    It '-Headers adds request headers' {
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -Headers @{ 'x-ms-test' = 'abc'; ConsistencyLevel = 'eventual' }
        $sent = (Get-EmulatorRequest)[0].headers
        Assert-Equal 'abc' $sent['x-ms-test']
        Assert-Equal 'eventual' $sent['consistencylevel']
    }

    It '-Headers cannot replace the Authorization header' {
        $err = Get-ErrorFrom { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -Headers @{ Authorization = 'Bearer other' } }
        Assert-Like 'ReservedHeader,*' $err.FullyQualifiedErrorId
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It '-Debug shows the request and response, the Authorization header redacted' {
        $debug = Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -Debug 5>&1
        $text = ($debug | ForEach-Object { "$_" }) -join "`n"
        Assert-Contains '============================ HTTP REQUEST ============================' $text
        Assert-Contains "HTTP Method:`nPOST" $text
        Assert-Contains "$script:EmulatorUrl/v1.0/users/$userId/presence/setPresence" $text
        Assert-Contains '"availability": "Away"' $text
        Assert-Contains 'Status Code:' $text
        Assert-True (-not $text.Contains('test-access-token')) 'the token never appears'
        Assert-True ($text -match '(?im)^authorization\s+: Bearer <redacted>$') 'the Authorization header shows only its scheme'
    }

    It '-HttpPipelineAppend gives a clear error and sends nothing' {
        $err = Get-ErrorFrom { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -HttpPipelineAppend @({ }) }
        Assert-Like 'HttpPipelineStepsNotSupported,*' $err.FullyQualifiedErrorId
        Assert-Equal 'NotImplemented' $err.CategoryInfo.Category
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It '-Break waits for a debugger to attach, naming the process' {
        $child = Start-ChildPowerShell "Import-Module '$($script:ModulePath)'; Set-MgUserPresence -UserId u -SessionId s -Availability Away -Activity Away -Break"
        try {
            $line = $child.StandardOutput.ReadLine()
            Assert-Contains "Waiting for a debugger to attach to process $($child.Id)" $line
            Assert-True (-not $child.WaitForExit(1000)) 'it keeps waiting'
        } finally {
            $child.Kill($true)
            $child.WaitForExit()
        }
        Assert-Equal 0 (Get-EmulatorRequest).Count 'nothing was sent while waiting'
    }

    It 'Set-MgBetaUserPresence calls the beta endpoint' {
        Set-MgBetaUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away
        Assert-Equal "/beta/users/$userId/presence/setPresence" (Get-EmulatorRequest)[0].path
    }
}

Describe 'Set-MgUserPresence errors' {
    It 'a Graph error becomes an ErrorRecord whose id starts with the Graph code' {
        Add-EmulatorFault @{ method = 'POST'; pathContains = 'setPresence'; status = 403; code = 'Forbidden'; message = 'Insufficient privileges to complete the operation.'; times = 1 }
        $errors = @()
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -ErrorVariable errors -ErrorAction SilentlyContinue
        Assert-Equal 1 $errors.Count 'one non-terminating error'
        $err = $errors[0]
        Assert-Like 'Forbidden,*' $err.FullyQualifiedErrorId
        Assert-Contains 'Insufficient privileges to complete the operation.' $err.Exception.Message
        Assert-Contains 'ErrorCode: Forbidden' $err.Exception.Message
        Assert-Contains 'Status: 403 (Forbidden)' $err.Exception.Message
        Assert-Equal 'InvalidOperation' $err.CategoryInfo.Category
        Assert-Equal 403 $err.Exception.StatusCode
        Assert-Equal 'Forbidden' $err.Exception.ErrorCode
        Assert-Equal $userId $err.TargetObject
        Assert-True (-not $err.Exception.Message.Contains('test-access-token'))
    }

    It 'an unsupported pair is refused before sending' {
        $err = Get-ErrorFrom { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability DoNotDisturb -Activity OutOfOffice }
        Assert-Like 'UnsupportedPresenceCombination,*' $err.FullyQualifiedErrorId
        Assert-Equal 'InvalidArgument' $err.CategoryInfo.Category
        Assert-Contains 'DoNotDisturb/Presenting' $err.Exception.Message
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It 'a 3-minute or a 5-hour expiration is refused before sending' {
        foreach ($duration in @('00:03:00', '05:00:00')) {
            $err = Get-ErrorFrom { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Available -Activity Available -ExpirationDuration $duration }
            Assert-Like 'ExpirationDurationOutOfRange,*' $err.FullyQualifiedErrorId
        }
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It 'an ISO 8601 text is not a [TimeSpan] for -ExpirationDuration' {
        $err = Get-ErrorFrom { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Available -Activity Available -ExpirationDuration 'PT1H' }
        Assert-Like 'ParameterArgumentTransformationError,*' $err.FullyQualifiedErrorId
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It 'a missing UserId is a parameter binding error' {
        $err = Get-ErrorFrom { Set-MgUserPresence -SessionId $appId -Availability Available -Activity Available }
        Assert-True ($err.Exception -is [System.Management.Automation.ParameterBindingException]) "got $($err.Exception.GetType())"
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It 'an identity without UserId stops the pipeline with Microsoft''s message' {
        $err = Get-ErrorFrom { Set-MgUserPresence -InputObject @{ Id = 'not-a-user-id' } -SessionId $appId -Availability Away -Activity Away }
        Assert-Equal 'InputObject has null value for InputObject.UserId' $err.Exception.Message
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It 'a -BodyParameter that is not an object is refused with the reason' {
        $err = Get-ErrorFrom { Set-MgUserPresence -UserId $userId -BodyParameter 42 }
        Assert-Like 'InvalidBodyParameter,*' $err.FullyQualifiedErrorId
        Assert-Contains 'not a JSON object' $err.Exception.Message
        $err = Get-ErrorFrom { Set-MgUserPresence -UserId $userId -BodyParameter 'not json' }
        Assert-Like 'InvalidBodyParameter,*' $err.FullyQualifiedErrorId
        Assert-Contains 'not valid JSON' $err.Exception.Message
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It 'a -BodyParameter value that is not ISO 8601 is refused with the reason' {
        $err = Get-ErrorFrom { Set-MgUserPresence -UserId $userId -BodyParameter @{ sessionId = $appId; availability = 'Away'; activity = 'Away'; expirationDuration = '1 hour' } }
        Assert-Like 'InvalidPropertyValue,*' $err.FullyQualifiedErrorId
        Assert-Contains 'ISO 8601' $err.Exception.Message
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It 'without a connection the error says to connect' {
        Disconnect-MgGraph
        try {
            $err = Get-ErrorFrom { Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away }
            Assert-Equal 'Authentication needed. Please call Connect-MgGraph.' $err.Exception.Message
            Assert-Like 'NotConnected,*' $err.FullyQualifiedErrorId
        } finally {
            Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 'test-access-token').SecurePassword) -Environment Emulator -NoWelcome
        }
        Assert-Equal 0 (Get-EmulatorRequest).Count
    }

    It 'a panic inside the engine is an exception, and the host goes on' {
        $err = Get-ErrorFrom { [MgPresence.Runtime.Engine]::PanicForDiagnostics('deliberate panic') }
        Assert-Contains 'deliberate panic' $err.Exception.Message
        Assert-True ((Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away -PassThru) -eq $true) 'calls still work'
    }
}

Describe 'Get-MgUserPresence' {
    It 'reads back what Set-MgUserPresence set, as a typed presence object' {
        Set-MgUserPresence -UserId 'reader' -SessionId $appId -Availability Busy -Activity InACall -ExpirationDuration ([TimeSpan]::FromHours(1))
        $presence = Get-MgUserPresence -UserId 'reader'
        Assert-Equal 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence' $presence.PSObject.TypeNames[0]
        Assert-Equal 'reader' $presence.Id
        Assert-Equal 'Busy' $presence.Availability
        Assert-Equal 'InACall' $presence.Activity
        Assert-Equal $false $presence.OutOfOfficeSettings.IsOutOfOffice
        Assert-True ($presence.AdditionalProperties['sequenceNumber'] -like 'A*') 'sequenceNumber is an additional property'
    }

    It '-Property sends $select' {
        Get-MgUserPresence -UserId 'reader' -Property availability, activity | Out-Null
        Assert-Equal '%24select=availability%2Cactivity' (Get-EmulatorRequest)[0].query
    }

    It 'has no -WhatIf or -PassThru, like Microsoft''s' {
        $command = Get-Command Get-MgUserPresence
        Assert-True (-not $command.Parameters.ContainsKey('WhatIf') -and -not $command.Parameters.ContainsKey('PassThru'))
        Assert-SequenceEqual (Get-SortedText 'Get', 'GetViaIdentity') (Get-SortedText $command.ParameterSets.Name)
    }
}
