# Pester tests of every cmdlet in every parameter set: one It per case of generated/MgPresence.Cmdlets.TestCases.psd1
# (written by crates/codegen from the catalog; its header in crates/codegen/src/tests.rs says what a case holds). Each
# calls the cmdlet with the catalog's example values, then checks the one request the emulator received (method,
# path, query, JSON body as sent) and the cmdlet's output or error. Run by Invoke-MgPresenceTests.ps1, which passes
# the module's path and the emulator's URL.
param([string] $ModulePath, [string] $EmulatorUrl)

BeforeDiscovery {
    $casesFile = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'generated', 'MgPresence.Cmdlets.TestCases.psd1')
    # -SkipLimitCheck: the file grows with the catalog; the data-file limits are meant for hand-written files.
    $cmdletCases = (Import-PowerShellDataFile -Path $casesFile -SkipLimitCheck).Cmdlets
}

BeforeAll {
    Import-Module "$PSScriptRoot/MgPresence.TestHelpers.psm1"
    Initialize-TestSession -ModulePath $ModulePath -EmulatorUrl $EmulatorUrl
    # The List cases read one presence with -Top 1: the emulator must know at least one user.
    Invoke-EmulatorGraph 'POST' '/v1.0/users/cmdlet-cases-listed/presence/setPresence' ('{"sessionId":"' + $appId + '","availability":"Away","activity":"Away"}')
}

Describe 'Every cmdlet in every parameter set (generated cases)' {
    BeforeEach {
        Clear-EmulatorRequest
    }

    Describe '<Cmdlet>' -ForEach $cmdletCases {
        It '<Cmdlet> (<ParameterSet>)' -ForEach $ParameterSets {
            if ($Setup) {
                Invoke-EmulatorGraph $Setup.Method $Setup.Path $Setup.Body
                Clear-EmulatorRequest
            }
            $errors = @()
            $call = [scriptblock]::Create("$Cmdlet $Arguments -ErrorVariable errors -ErrorAction SilentlyContinue")
            $out = @(. $call)

            if ($ErrorCode) {
                $errors | Should -HaveCount 1 -Because 'the emulator answers with one error'
                $errors[0].FullyQualifiedErrorId | Should -BeLike "$ErrorCode,*"
            } else {
                $errors | Should -HaveCount 0 -Because "there is no error: $($errors | ForEach-Object { $_.Exception.Message })"
            }

            $requests = @(Get-EmulatorRequest)
            $requests | Should -HaveCount 1 -Because 'the cmdlet sends exactly one request'
            $requests[0].method | Should -BeExactly $Request.Method
            $requests[0].path | Should -BeExactly $Request.Path
            "$($requests[0].query)" | Should -BeExactly $Request.Query
            $requests[0].bodyJson | Should -BeExactly $Request.Body -Because 'the body is the JSON text sent, member order included'

            switch ($Output) {
                'Error' {
                    $out | Should -HaveCount 0
                }
                'PassThruTrue' {
                    $out | Should -HaveCount 1
                    $out[0] | Should -BeOfType ([bool])
                    $out[0] | Should -BeTrue -Because '-PassThru outputs $true'
                }
                'Presence' {
                    $out | Should -HaveCount 1
                    $out[0].PSObject.TypeNames[0] | Should -BeExactly $OutputTypeName
                    $out[0].Id | Should -BeExactly $OutputIds[0]
                }
                'PresencePage' {
                    $out | Should -HaveCount 1 -Because '-Top 1 gives one object'
                    $out[0].PSObject.TypeNames[0] | Should -BeExactly $OutputTypeName
                }
                'Presences' {
                    @($out | ForEach-Object { $_.Id }) | Should -BeExactly $OutputIds
                    $out[0].PSObject.TypeNames[0] | Should -BeExactly $OutputTypeName
                }
                'Count' {
                    $out | Should -HaveCount 1
                    $out[0] | Should -BeOfType ([int])
                    $out[0] | Should -BeGreaterOrEqual 0
                }
                default {
                    throw "the case's Output '$Output' is not a kind this file knows"
                }
            }
        }
    }
}
