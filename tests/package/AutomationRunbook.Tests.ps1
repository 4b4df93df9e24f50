<#
.SYNOPSIS
The Azure Automation zip as Automation uses it: expanded into an empty module path, and a runbook (runbook.ps1) run
with `pwsh -File` and the managed-identity variables Automation sets (IDENTITY_ENDPOINT, IDENTITY_HEADER), pointing
at the emulator's managed-identity endpoint. The emulator is switched to strict mode (only tokens its identity
provider issued) for these tests, so the presence calls succeed only with the identity's token.
#>
param(
    # out/package: holds MgPresence-<version>.zip.
    [Parameter(Mandatory)] [string] $PackageRoot,
    [Parameter(Mandatory)] [string] $EmulatorUrl
)

BeforeAll {
    . "$PSScriptRoot/PackageTestHelpers.ps1"
    $script:EmulatorUrl = $EmulatorUrl.TrimEnd('/')
    $script:Zip = @(Get-ChildItem -LiteralPath $PackageRoot -Filter 'MgPresence-*.zip' -File)
    $script:State = New-IsolatedUserState -Root (Join-Path $TestDrive 'sandbox')
    $script:Runbook = Join-Path $PSScriptRoot 'runbook.ps1'
    # As docs/emulator.md lists it: the managed identity of the demo directory.
    $script:IdentityHeader = 'mgpresence-emulator-identity-header'
    $script:IdentityClientId = '7d9e8a3b-6a4f-4c1d-9e2b-3f5a6b7c8d90'

    $script:AuthBefore = Invoke-RestMethod -Uri "$script:EmulatorUrl/_emulator/auth"
    $null = Invoke-RestMethod -Method Post -Uri "$script:EmulatorUrl/_emulator/auth" -ContentType 'application/json' -Body '{"requireIssuedTokens":true}'

    function Invoke-Runbook {
        param([Parameter(Mandatory)] [string] $UserId, [string] $IdentityHeader = $script:IdentityHeader)
        $environment = $script:State.Environment.Clone()
        $environment.IDENTITY_ENDPOINT = "$script:EmulatorUrl/msi/token"
        $environment.IDENTITY_HEADER = $IdentityHeader
        Invoke-ChildPwsh -Script $script:Runbook -Arguments @('-UserId', $UserId, '-GraphEndpoint', $script:EmulatorUrl) -Environment $environment -WorkingDirectory $script:State.work
    }
}

AfterAll {
    if ($script:AuthBefore) {
        $body = @{ requireIssuedTokens = [bool] $script:AuthBefore.requireIssuedTokens } | ConvertTo-Json -Compress
        $null = Invoke-RestMethod -Method Post -Uri "$script:EmulatorUrl/_emulator/auth" -ContentType 'application/json' -Body $body
    }
}

# One Describe: Pester empties TestDrive of what a Describe created when it ends, and the expanded module must last.
Describe 'The Azure Automation zip in a runbook' {
    It 'is one zip whose root is the module folder, with the manifest directly inside' {
        $script:Zip.Count | Should -Be 1
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $archive = [System.IO.Compression.ZipFile]::OpenRead($script:Zip[0].FullName)
        try {
            $names = @($archive.Entries | ForEach-Object FullName)
        } finally {
            $archive.Dispose()
        }
        $names | Should -Contain 'MgPresence/MgPresence.psd1'
        $names | Should -Contain 'MgPresence/MgPresence.psm1'
        $names | Should -Contain 'MgPresence/bin/MgPresence.Runtime.dll'
        $names | Where-Object { -not $_.StartsWith('MgPresence/') } | Should -BeNullOrEmpty
        $names | Where-Object { $_.Contains('\') } | Should -BeNullOrEmpty -Because 'entries use / on every platform'
        $names | Where-Object { $_ -like "MgPresence/runtimes/$(Get-PackageRid)/native/*" } | Should -Not -BeNullOrEmpty
    }

    It 'expands into an empty module path as a module with a clean manifest' {
        Get-ChildItem -LiteralPath $script:State.modules | Should -BeNullOrEmpty
        Expand-Archive -LiteralPath $script:Zip[0].FullName -DestinationPath $script:State.modules
        Get-ManifestProblem (Join-Path $script:State.modules 'MgPresence/MgPresence.psd1') | Should -BeNullOrEmpty
    }

    It 'runs a runbook that connects with Connect-MgGraph -Identity and sets and reads a presence' {
        $auth = Invoke-RestMethod -Uri "$script:EmulatorUrl/_emulator/auth"
        $auth.requireIssuedTokens | Should -BeTrue -Because 'only a token the emulator issued to the identity is accepted'
        $userId = [guid]::NewGuid().ToString()
        $result = Invoke-Runbook -UserId $userId
        Assert-ChildSucceeded $result
        $seen = Read-ChildJson $result
        $seen.AuthType | Should -Be 'ManagedIdentity'
        $seen.UserId | Should -Be $userId
        $seen.Availability | Should -Be 'Busy'
        $seen.Activity | Should -Be 'InACall'
        [System.IO.Path]::GetFullPath($seen.ModuleBase) | Should -Be ([System.IO.Path]::GetFullPath((Join-Path $script:State.modules 'MgPresence')))
    }

    It 'fails when the identity header is not the one Automation gave' {
        $result = Invoke-Runbook -UserId ([guid]::NewGuid().ToString()) -IdentityHeader 'not-the-header'
        $result.ExitCode | Should -Not -Be 0
        $result.Output | Should -Not -Match '"AuthType"'
        $result.Errors | Should -Match 'X-IDENTITY-HEADER'
    }
}
