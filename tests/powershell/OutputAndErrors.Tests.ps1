# Pester tests of what scripts get back, pinned to what Microsoft's cmdlets give (mg-cmdlet-behavior.md §2.10, §2.12,
# §2.13, §3; issue 12): the presence model types, error records for service errors and for input refused before
# sending, -ResponseHeadersVariable, -Debug and query strings; and the places where MgPresence is deliberately more
# accepting (docs/decisions.md). In real PowerShell against the emulator; run by Invoke-MgPresenceTests.ps1.
param([string] $ModulePath, [string] $EmulatorUrl)

BeforeAll {
    Import-Module "$PSScriptRoot/MgPresence.TestHelpers.psm1"
    Initialize-TestSession -ModulePath $ModulePath -EmulatorUrl $EmulatorUrl
    $v1 = 'Microsoft.Graph.PowerShell.Models'
    $beta = 'Microsoft.Graph.Beta.PowerShell.Models'
    $presenceMembers = 'Activity', 'Availability', 'Id', 'OutOfOfficeSettings', 'SequenceNumber', 'StatusMessage', 'WorkLocation', 'AdditionalProperties'
}

Describe 'Presence objects' {
    BeforeAll {
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Busy -Activity InACall
        $presence = Get-MgUserPresence -UserId $userId
    }

    It '<Command> outputs <Type>' -ForEach @(
        @{ Command = 'Get-MgUserPresence'; Arguments = @{ UserId = 'fa8bf3dc-eca7-46b7-bad1-db199b62afc3' }; Type = 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence' }
        @{ Command = 'Get-MgBetaUserPresence'; Arguments = @{ UserId = 'fa8bf3dc-eca7-46b7-bad1-db199b62afc3' }; Type = 'Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence' }
        @{ Command = 'Get-MgCommunicationPresence'; Arguments = @{ PresenceId = 'fa8bf3dc-eca7-46b7-bad1-db199b62afc3' }; Type = 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence' }
        @{ Command = 'Get-MgBetaCommunicationPresenceByUserId'; Arguments = @{ Ids = @('fa8bf3dc-eca7-46b7-bad1-db199b62afc3') }; Type = 'Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence' }
    ) {
        $out = & $Command @Arguments
        $out.GetType().FullName | Should -BeExactly $Type
        $out | Should -BeOfType ($Type -replace '\.MicrosoftGraphPresence$', '.IMicrosoftGraphPresence')
    }

    It 'gives its type name as text, and Select-Object marks the selection with it' {
        "$presence" | Should -BeExactly "$v1.MicrosoftGraphPresence"
        ($presence | Select-Object Id, Activity).PSObject.TypeNames[0] | Should -BeExactly "Selected.$v1.MicrosoftGraphPresence"
    }

    It 'has the members of the model in Microsoft''s order, AdditionalProperties last' {
        @($presence.PSObject.Properties.Name) | Should -BeExactly $presenceMembers
        $json = $presence | ConvertTo-Json -Depth 5
        $order = [regex]::Matches($json, '(?m)^  "(\w+)":') | ForEach-Object { $_.Groups[1].Value }
        @($order) | Should -BeExactly $presenceMembers
        $lines = ($presence | Format-List | Out-String -Width 250) -split "`r?`n" | Where-Object { $_ -match '^\w+\s+:' } | ForEach-Object { ($_ -split '\s+:')[0] }
        @($lines) | Should -BeExactly $presenceMembers
    }

    It 'holds nested complex values as typed objects with null members' {
        Invoke-EmulatorGraph POST "/v1.0/users/plain-user/presence/setPresence" '{"sessionId":"s","availability":"Away","activity":"Away"}'
        $plain = Get-MgUserPresence -UserId 'plain-user'
        $plain.StatusMessage.GetType().FullName | Should -BeExactly "$v1.MicrosoftGraphPresenceStatusMessage"
        $plain.StatusMessage.Message.GetType().FullName | Should -BeExactly "$v1.MicrosoftGraphItemBody"
        $plain.StatusMessage.Message.Content | Should -BeNullOrEmpty
        $plain.StatusMessage.ExpiryDateTime.GetType().FullName | Should -BeExactly "$v1.MicrosoftGraphDateTimeZone"
        $plain.StatusMessage.ExpiryDateTime.DateTime | Should -BeNullOrEmpty
        $plain.StatusMessage.PublishedDateTime | Should -BeNullOrEmpty
        $plain.OutOfOfficeSettings.IsOutOfOffice | Should -BeFalse
        $plain.WorkLocation.GetType().FullName | Should -BeExactly "$v1.MicrosoftGraphUserWorkLocation"
    }

    It 'keeps what the model does not type, @odata.context included, in a Dictionary[string, object]' {
        $presence.AdditionalProperties -is [System.Collections.Generic.Dictionary[string, object]] | Should -BeTrue
        $presence.AdditionalProperties['@odata.context'] | Should -BeLikeExactly '*$metadata#users*presence*'
        $presence.AdditionalProperties.Keys | Should -Not -Contain 'activity'
    }

    It 'exports to CSV with the model''s members as columns and nested values as their type names' {
        $csv = @($presence | ConvertTo-Csv)
        $csv[0] | Should -BeExactly (($presenceMembers | ForEach-Object { "`"$_`"" }) -join ',')
        $row = $csv[1] | ConvertFrom-Csv -Header $presenceMembers
        $row.StatusMessage | Should -BeExactly "$v1.MicrosoftGraphPresenceStatusMessage"
        $row.Activity | Should -BeExactly 'InACall'
    }

    It 'reads dates as UTC DateTime values' {
        $message = [Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresenceStatusMessage]::FromJsonString('{"publishedDateTime":"2022-10-18T00:07:15.4012511Z","extra":{"a":[1,"b"]}}')
        $message.PublishedDateTime | Should -BeOfType [datetime]
        $message.PublishedDateTime.Kind | Should -Be 'Utc'
        $message.PublishedDateTime.Hour | Should -Be 0
        $message.AdditionalProperties['extra'].GetType().Name | Should -BeExactly 'Dictionary`2'
        $message.AdditionalProperties['extra']['a'] | Should -Be @(1, 'b')
    }
}

Describe 'Model types in scripts' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It 'can be named: type literals, -is, New-Object, and a hashtable cast' {
        $settings = New-Object Microsoft.Graph.PowerShell.Models.MicrosoftGraphOutOfOfficeSettings -Property @{ IsOutOfOffice = $true; Message = 'Back Monday' }
        $settings -is [Microsoft.Graph.PowerShell.Models.IMicrosoftGraphOutOfOfficeSettings] | Should -BeTrue
        $cast = [Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence]@{ availability = 'Busy'; Custom = 'kept' }
        $cast.Availability | Should -BeExactly 'Busy' -Because 'keys match case-insensitively'
        $cast.AdditionalProperties['Custom'] | Should -BeExactly 'kept'
        [Microsoft.Graph.PowerShell.Models.IMicrosoftGraphPresenceStatusMessage] $typed = @{ Message = @{ Content = 'hi' } }
        $typed.Message.Content | Should -BeExactly 'hi'
        $typed.GetType().FullName | Should -BeExactly "$v1.MicrosoftGraphPresenceStatusMessage"
    }

    It 'a bad value in a cast is a clear error' {
        { [Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresenceStatusMessage]@{ PublishedDateTime = 'not a date' } } | Should -Throw '*PublishedDateTime*'
    }

    It 'binds to -StatusMessage as a model built in the script' {
        $message = [Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresenceStatusMessage]@{ Message = @{ Content = 'In the lab'; ContentType = 'text' } }
        Set-MgUserPresenceStatusMessage -UserId $userId -StatusMessage $message
        (@(Get-EmulatorRequest)[0]).bodyJson | Should -BeExactly '{"statusMessage":{"message":{"content":"In the lab","contentType":"text"}}}'
        (Get-MgUserPresence -UserId $userId).StatusMessage.Message.Content | Should -BeExactly 'In the lab'
    }

    It 'binds to -OutOfOfficeSettings and, as a presence from Get, to -BodyParameter' {
        $settings = New-Object Microsoft.Graph.PowerShell.Models.MicrosoftGraphOutOfOfficeSettings -Property @{ IsOutOfOffice = $true }
        Update-MgUserPresence -UserId $userId -OutOfOfficeSettings $settings -ErrorAction SilentlyContinue
        (@(Get-EmulatorRequest)[0]).bodyJson | Should -BeExactly '{"outOfOfficeSettings":{"isOutOfOffice":true}}'
        Clear-EmulatorRequest
        $read = Get-MgUserPresence -UserId $userId
        Clear-EmulatorRequest
        $read.Activity = 'Away'
        Update-MgUserPresence -UserId $userId -BodyParameter $read -ErrorAction SilentlyContinue
        $sent = (@(Get-EmulatorRequest)[0]).body
        $sent['activity'] | Should -BeExactly 'Away'
        $sent.Keys | Should -Not -Contain 'AdditionalProperties' -Because 'what the model does not type is sent as members'
        $sent['statusMessage']['message']['content'] | Should -BeExactly 'In the lab'
    }

    It 'a nested value of a presence passes back to -StatusMessage' {
        $read = Get-MgUserPresence -UserId $userId
        Clear-EmulatorRequest
        Set-MgUserPresenceStatusMessage -UserId 'copy-target' -StatusMessage $read.StatusMessage
        (@(Get-EmulatorRequest)[0]).bodyJson | Should -BeLikeExactly '{"statusMessage":{*"message":{"content":"In the lab","contentType":"text"}*}'
    }
}

Describe 'Error records' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It 'a refused pair gives the record the service''s answer would: same code, id and message shape, nothing sent' {
        Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Available -Activity Busy -ErrorVariable errors -ErrorAction SilentlyContinue
        @(Get-EmulatorRequest) | Should -HaveCount 0 -Because 'nothing invalid reaches the wire'
        $err = $errors[0]
        $answer = Send-EmulatorGraph POST "/v1.0/users/$userId/presence/setPresence" "{`"sessionId`":`"$appId`",`"availability`":`"Available`",`"activity`":`"Busy`"}"
        $answer.Status | Should -Be 400
        $service = ($answer.Body | ConvertFrom-Json).error
        $err.FullyQualifiedErrorId | Should -BeExactly "$($service.code),Microsoft.Graph.PowerShell.Cmdlets.SetMgUserPresence_SetExpanded"
        $err.Exception.GetType().FullName | Should -BeExactly 'System.Exception'
        $err.Exception.Message | Should -BeExactly "[$($service.code)] : $($service.message)"
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err.CategoryInfo.Activity | Should -BeExactly 'Set-MgUserPresence_SetExpanded'
        $err.CategoryInfo.Reason | Should -BeExactly 'Exception'
        $details = $err.ErrorDetails.Message -split "`n"
        $details[0] | Should -BeExactly $service.message
        $details[1] | Should -BeExactly ''
        $details[2] | Should -BeExactly 'Status: 400 (BadRequest)'
        $details[3] | Should -BeExactly "ErrorCode: $($service.code)"
        $details[4] | Should -Match '^Date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$'
        $details[6] | Should -BeExactly 'Headers:'
        $err.ErrorDetails.RecommendedAction | Should -BeExactly 'See service error codes: https://learn.microsoft.com/graph/errors'
        @($err.TargetObject.PSObject.Properties.Name) | Should -BeExactly @('UserId', 'Headers', 'body')
        $err.TargetObject.UserId | Should -BeExactly $userId
        $err.TargetObject.body['Activity'] | Should -BeExactly 'Busy'
    }

    It 'a 404 from the service gives Microsoft''s record, with the response headers in the details' {
        Clear-MgUserPresence -UserId 'no-session-user' -SessionId $appId -ErrorVariable errors -ErrorAction SilentlyContinue
        $err = $errors[0]
        $err.FullyQualifiedErrorId | Should -BeExactly 'NotFound,Microsoft.Graph.PowerShell.Cmdlets.ClearMgUserPresence_ClearExpanded'
        $err.Exception.Message | Should -BeLikeExactly '`[NotFound`] : *'
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err.ErrorDetails.Message | Should -BeLikeExactly "*`n`nStatus: 404 (NotFound)`nErrorCode: NotFound`nDate: *`n`nHeaders:`n*"
        $clientRequestId = (@(Get-EmulatorRequest)[0]).headers['client-request-id']
        $err.ErrorDetails.Message | Should -BeLikeExactly "*`nclient-request-id             : $clientRequestId`n*" -Because 'names padded to 30, as the service sent them'
        $err.ErrorDetails.Message | Should -BeLikeExactly "*`nrequest-id                    : *"
        $err.ErrorDetails.Message | Should -Not -BeLikeExactly '*Content-Type*' -Because 'content headers are not in the block'
        $err.ErrorDetails.Message | Should -Not -BeLikeExactly '*Bearer*'
    }

    It 'the target of a Get error holds the id and the query options, as Microsoft''s' {
        Add-EmulatorFault @{ method = 'GET'; pathContains = '/presence'; status = 404; code = 'NotFound'; message = 'Gone.'; times = 1 }
        Get-MgUserPresence -UserId $userId -Property id -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeExactly 'NotFound,Microsoft.Graph.PowerShell.Cmdlets.GetMgUserPresence_Get'
        @($errors[0].TargetObject.PSObject.Properties.Name) | Should -BeExactly @('UserId', 'Property', 'ExpandProperty', 'Headers')
        $errors[0].TargetObject.Property | Should -BeExactly @('id')
        $errors[0].CategoryInfo.TargetType | Should -BeLikeExactly '<>f__AnonymousType*`4'
    }

    It 'names the beta variant and the identity in identity sets' {
        @{ UserId = 'no-session-user' } | Clear-MgBetaUserPresence -SessionId $appId -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeExactly 'NotFound,Microsoft.Graph.Beta.PowerShell.Cmdlets.ClearMgBetaUserPresence_ClearViaIdentityExpanded'
        $errors[0].TargetObject.InputObject.UserId | Should -BeExactly 'no-session-user'
    }

    It 'honours the preferences a script sets in its own scope, as a cmdlet it calls does' {
        $stopped = & {
            $ErrorActionPreference = 'Stop'
            try { Clear-MgUserPresence -UserId 'no-session-user' -SessionId $appId; 'not stopped' } catch { $_.FullyQualifiedErrorId }
        }
        $stopped | Should -BeExactly 'NotFound,Microsoft.Graph.PowerShell.Cmdlets.ClearMgUserPresence_ClearExpanded'
        $quiet = & { $ErrorActionPreference = 'SilentlyContinue'; Clear-MgUserPresence -UserId 'no-session-user' -SessionId $appId 2>&1 }
        @($quiet) | Should -HaveCount 0
        Clear-EmulatorRequest
        & { $WhatIfPreference = $true; Set-MgUserPresence -UserId $userId -SessionId $appId -Availability Away -Activity Away } 6>&1 | Out-Null
        @(Get-EmulatorRequest) | Should -HaveCount 0 -Because "the script's own `$WhatIfPreference is seen"
    }

    It 'shows the variant and the service''s message in ConciseView' {
        $child = Start-ChildPowerShell "Import-Module '$ModulePath'; `$null = Add-MgEnvironment -Name E -GraphEndpoint '$EmulatorUrl' -AzureADEndpoint '$EmulatorUrl'; Connect-MgGraph -AccessToken ([System.Net.NetworkCredential]::new('', 't').SecurePassword) -Environment E -NoWelcome; `$ErrorView = 'ConciseView'; Set-MgUserPresence -UserId u -SessionId s -Availability Available -Activity Busy 2>&1 | Out-String -Width 300"
        $text = $child.StandardOutput.ReadToEnd() -replace '\s+', ' '
        $child.WaitForExit()
        $text | Should -BeLikeExactly '*Set-MgUserPresence_SetExpanded: *is not supported by setPresence*Status: 400 (BadRequest)*'
    }
}

Describe 'Response headers, -Debug and query strings' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It '-ResponseHeadersVariable gives the service''s header names with string[] values' {
        Get-MgUserPresence -UserId $userId -ResponseHeadersVariable seen | Out-Null
        $names = @($global:seen.Keys)
        foreach ($name in 'Date', 'Content-Type', 'Content-Length', 'request-id') {
            $names -ccontains $name | Should -BeTrue -Because "$name is in .NET's casing: $($names -join ', ')"
        }
        $global:seen['Date'].GetType().FullName | Should -BeExactly 'System.String[]'
        $global:seen['content-length'] | Should -Not -BeNullOrEmpty -Because 'names compare case-insensitively'
        $names.IndexOf('Content-Type') | Should -BeGreaterThan $names.IndexOf('request-id') -Because 'content headers come after the response headers'
    }

    It '-Debug starts with Microsoft''s begin-processing and authentication lines and ends with end processing' {
        $lines = @(Get-MgUserPresence -UserId $userId -Debug 5>&1 4>&1 3>&1 2>&1 6>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        $lines[0] | Should -BeExactly "[CmdletBeginProcessing]: - Get-MgUserPresence begin processing with parameterSet 'Get'."
        $lines[1] | Should -BeExactly "[Authentication]: - AuthType: 'UserProvidedAccessToken', TokenCredentialType: 'UserProvidedAccessToken', ContextScope: 'Process', AppName: ''."
        $lines[2] | Should -BeLikeExactly '`[Authentication`]: - Scopes: `[*`].'
        $lines[3] | Should -BeLikeExactly '*HTTP REQUEST*'
        $lines[-1] | Should -BeExactly '[CmdletEndProcessing]: - Get-MgUserPresence end processing.'
    }

    It 'query options go in Microsoft''s order, `$ kept and values escaped as Uri.EscapeDataString does' {
        Get-MgCommunicationPresence -Sort id -Filter "id eq 'list-a'" -Skip 1 -Top 2 | Out-Null
        (@(Get-EmulatorRequest)[0]).query | Should -BeExactly '$top=2&$skip=1&$filter=id%20eq%20%27list-a%27&$orderby=id'
        Clear-EmulatorRequest
        Get-MgCommunicationPresence -Search 'id:list' -Property id, activity -ErrorAction SilentlyContinue | Out-Null
        (@(Get-EmulatorRequest)[0]).query | Should -BeExactly '$search=%22id%3Alist%22&$select=id%2Cactivity'
    }
}

Describe 'Where MgPresence is deliberately more accepting than Microsoft''s cmdlets' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    It 'takes a [pscustomobject] identity from the pipeline' {
        $out = [pscustomobject]@{ UserId = $userId } | Get-MgUserPresence
        $out.Id | Should -BeExactly $userId
    }

    It 'reads the keys of a case-sensitive dictionary body case-insensitively' {
        $body = [hashtable]::new()
        $body['sessionId'] = $appId
        $body['availability'] = 'Away'
        $body['activity'] = 'Away'
        Set-MgUserPresence -UserId $userId -BodyParameter $body
        (@(Get-EmulatorRequest)[0]).bodyJson | Should -BeExactly "{`"sessionId`":`"$appId`",`"availability`":`"Away`",`"activity`":`"Away`"}"
    }

    It 'sends a [TimeSpan] inside a body hashtable as an ISO 8601 duration' {
        Set-MgUserPresence -UserId $userId -BodyParameter @{ sessionId = $appId; availability = 'Away'; activity = 'Away'; expirationDuration = [TimeSpan]::FromMinutes(90) }
        (@(Get-EmulatorRequest)[0]).body['expirationDuration'] | Should -BeExactly 'PT1H30M'
    }
}
