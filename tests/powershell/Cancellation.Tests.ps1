# Ctrl+C stops a single cmdlet call at once (Pester 5). A child pwsh reads commands from its redirected stdin
# (-Command -), imports the module and connects to the emulator; the emulator delays a call (or answers it 429 with
# Retry-After: 180); the test sends the child SIGINT, as Ctrl+C does, and checks that the call stopped within 2 s,
# that the emulator got nothing more, and that the next command in the same child works (same session).
# Linux only: it signals the child with kill -INT.
param($ModulePath, $EmulatorUrl)

BeforeAll {
    Import-Module "$PSScriptRoot/MgPresence.TestHelpers.psm1"
    Initialize-TestSession -ModulePath $ModulePath -EmulatorUrl $EmulatorUrl

    # No faults, no delays, an empty request log.
    function Reset-Emulator {
        Clear-EmulatorRequest
        Invoke-EmulatorControl '/_emulator/fault-rates' '{"delayed":0.0,"delayMs":0}' | Out-Null
    }

    # The child's stdout, line by line; a read that timed out stays pending for the next one.
    $script:pendingLine = $null
    function Wait-ChildLine([string] $Pattern, [int] $TimeoutMilliseconds = 15000) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while ($clock.ElapsedMilliseconds -lt $TimeoutMilliseconds) {
            if ($null -eq $script:pendingLine) { $script:pendingLine = $script:child.StandardOutput.ReadLineAsync() }
            if (-not $script:pendingLine.Wait([Math]::Max(1, $TimeoutMilliseconds - $clock.ElapsedMilliseconds))) { break }
            $line = $script:pendingLine.Result
            $script:pendingLine = $null
            if ($null -eq $line) { throw "the child pwsh ended (stderr: $($script:child.StandardError.ReadToEnd()))" }
            $script:childOutput.Add($line)
            if ($line -match $Pattern) { return $line }
        }
        throw "no line matching '$Pattern' from the child within $TimeoutMilliseconds ms; it wrote: $($script:childOutput -join ' | ')"
    }

    function Send-Child([string] $Line) {
        $script:child.StandardInput.WriteLine($Line)
        $script:child.StandardInput.Flush()
    }

    if (-not $IsLinux) { return }

    $program = Get-ChildPowerShellProgram
    $start = [Diagnostics.ProcessStartInfo]::new()
    # A process started with SIGINT ignored (a background job of a non-interactive shell) passes that on, and .NET
    # keeps an ignored SIGINT ignored; env --default-signal gives the child the default, so Ctrl+C reaches it.
    # env execs pwsh, so the pid is pwsh's.
    & /usr/bin/env --default-signal=INT true 2>$null
    if ($LASTEXITCODE -eq 0) {
        $start.FileName = '/usr/bin/env'
        $start.ArgumentList.Add('--default-signal=INT')
        $start.ArgumentList.Add($program)
    } else {
        $start.FileName = $program
    }
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', '-') { $start.ArgumentList.Add($a) }
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $script:childOutput = [System.Collections.Generic.List[string]]::new()
    $script:child = [Diagnostics.Process]::Start($start)

    Reset-Emulator
    $quotedModule = $ModulePath.Replace("'", "''")
    Send-Child "Import-Module '$quotedModule'; Add-MgEnvironment -Name Emulator -GraphEndpoint '$EmulatorUrl' -AzureADEndpoint '$EmulatorUrl' | Out-Null"
    Send-Child "Connect-MgGraph -AccessToken (ConvertTo-SecureString 't' -AsPlainText -Force) -Environment Emulator -NoWelcome; [Console]::Out.WriteLine('READY ' + `$PID)"
    $ready = Wait-ChildLine '^.*READY (\d+)'
    $null = $ready -match 'READY (\d+)'
    $script:childPid = [int]$Matches[1]
}

AfterAll {
    if ($script:child) {
        if (-not $script:child.HasExited) { $script:child.Kill() }
        $script:child.Dispose()
    }
    if ($IsLinux) { Reset-Emulator }
}

Describe 'Ctrl+C during a single call' -Skip:(-not $IsLinux) {
    BeforeEach { Reset-Emulator }

    It 'the child is the pwsh the signal goes to' {
        $script:childPid | Should -Be $script:child.Id
        # SIGINT (bit 1) is not ignored, so the child's console host sees Ctrl+C.
        $ignored = [Convert]::ToUInt64(((Get-Content "/proc/$($script:childPid)/status" | Where-Object { $_ -like 'SigIgn:*' }) -split '\s+')[1], 16)
        ($ignored -band 2) | Should -Be 0
    }

    It 'stops at once <Case>, sends nothing more, and the next command in the same process works' -ForEach @(
        @{ Case = 'while the request is in flight (the emulator delays it 60 s)'; Status = 0
            Control = '/_emulator/fault-rates'; Fault = @{ delayed = 1.0; delayMs = 60000 } }
        @{ Case = 'while waiting out a 429 with Retry-After: 180'; Status = 429
            Control = '/_emulator/faults'; Fault = @{ pathContains = 'setPresence'; status = 429; code = 'TooManyRequests'; message = 'Slow down.'; retryAfter = 180; times = 1 } }
    ) {
        Invoke-EmulatorControl $Control ($Fault | ConvertTo-Json -Compress) | Out-Null
        Send-Child "`$t = [Diagnostics.Stopwatch]::StartNew(); try { Set-MgUserPresence -UserId cancel-me -SessionId app -Availability Busy -Activity InACall; [Console]::Out.WriteLine('RETURNED') } finally { [Console]::Out.WriteLine('STOPPED ' + `$t.ElapsedMilliseconds) }"
        # The request is at the emulator (and answered, for the 429), so the call is in flight or waiting.
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while (@(Get-EmulatorRequest | Where-Object { $_.status -eq $Status }).Count -eq 0 -and $clock.ElapsedMilliseconds -lt 15000) { Start-Sleep -Milliseconds 20 }
        @(Get-EmulatorRequest).Count | Should -Be 1
        Start-Sleep -Milliseconds 300

        $clock.Restart()
        & kill -INT $script:childPid
        $line = Wait-ChildLine '(STOPPED|RETURNED)'
        $elapsed = $clock.ElapsedMilliseconds
        $line | Should -Match 'STOPPED'
        $elapsed | Should -BeLessThan 2000

        Start-Sleep -Milliseconds 500
        $recorded = @(Get-EmulatorRequest)
        $recorded.Count | Should -Be 1 -Because 'nothing is sent after Ctrl+C'
        $recorded[0].status | Should -Be $Status

        Reset-Emulator
        Send-Child "Set-MgUserPresence -UserId cancel-me -SessionId app -Availability Away -Activity Away -PassThru | ForEach-Object { [Console]::Out.WriteLine('NEXT ' + `$_) }"
        Wait-ChildLine '^.*NEXT ' | Should -Match 'NEXT True'
        $next = @(Get-EmulatorRequest)
        $next.Count | Should -Be 1
        $next[0].status | Should -Be 200
        $next[0].headers.authorization | Should -Be 'Bearer <redacted>'
    }

    It 'stops Connect-MgGraph at once while it waits for the user to enter a device code, and the connection it had stays' {
        # The emulator's demo application and tenant (docs/emulator.md); nobody completes the code, so the engine
        # polls until the code expires unless Ctrl+C stops it.
        Send-Child "`$t = [Diagnostics.Stopwatch]::StartNew(); try { Connect-MgGraph -Scopes Presence.ReadWrite -ClientId '5e3ce6c0-2b1f-4285-8d4b-75ee78787346' -TenantId '00000000-0000-0000-0000-00000000c0de' -UseDeviceCode -ContextScope Process -Environment Emulator -NoWelcome; [Console]::Out.WriteLine('RETURNED') } finally { [Console]::Out.WriteLine('STOPPED ' + `$t.ElapsedMilliseconds) }"
        Wait-ChildLine 'enter the code' | Should -Match 'enter the code'
        Start-Sleep -Milliseconds 500

        $clock = [Diagnostics.Stopwatch]::StartNew()
        & kill -INT $script:childPid
        $line = Wait-ChildLine '(STOPPED|RETURNED)'
        $clock.ElapsedMilliseconds | Should -BeLessThan 2000
        $line | Should -Match 'STOPPED'

        # The device code was never completed, so the connection is still the access token one.
        Reset-Emulator
        Send-Child "[Console]::Out.WriteLine('AUTH ' + (Get-MgContext).AuthType); Set-MgUserPresence -UserId cancel-me -SessionId app -Availability Away -Activity Away -PassThru | ForEach-Object { [Console]::Out.WriteLine('NEXT ' + `$_) }"
        Wait-ChildLine '^.*AUTH ' | Should -Match 'AUTH UserProvidedAccessToken'
        Wait-ChildLine '^.*NEXT ' | Should -Match 'NEXT True'
    }
}
