<#
.SYNOPSIS
The package as an admin installs it: a fresh pwsh (empty module path, its own PSResourceGet repository list)
registers the file repository, installs MgPresence, imports it by name, sets and reads a presence against the
emulator, and uninstalls it.
#>
param(
    # out/package: holds MgPresence/<version>/ and the Azure Automation zip.
    [Parameter(Mandatory)] [string] $PackageRoot,
    # The running emulator (any-token mode is enough here).
    [Parameter(Mandatory)] [string] $EmulatorUrl,
    # The PSResourceGet file repository `cargo xtask package` published into; out/repo beside out/package by default.
    [string] $RepositoryPath = (Join-Path $PackageRoot '../repo')
)

BeforeAll {
    . "$PSScriptRoot/PackageTestHelpers.ps1"
    $script:EmulatorUrl = $EmulatorUrl.TrimEnd('/')
    $script:RepositoryPath = [System.IO.Path]::GetFullPath($RepositoryPath)
    $script:Version = (Get-ChildItem -LiteralPath (Join-Path $PackageRoot 'MgPresence') -Directory | Select-Object -First 1).Name
    $script:State = New-IsolatedUserState -Root (Join-Path $TestDrive 'user')
    $script:Scripts = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'scripts')).FullName

    # Each step is its own pwsh, as an admin's separate sessions would be; they share only the user state on disk.
    function Invoke-Step {
        param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [string] $Body, [string[]] $Arguments = @())
        $path = Join-Path $script:Scripts "$Name.ps1"
        Set-Content -LiteralPath $path -Value $Body
        $result = Invoke-ChildPwsh -Script $path -Arguments $Arguments -Environment $script:State.Environment -WorkingDirectory $script:State.work
        Assert-ChildSucceeded $result
        return Read-ChildJson $result
    }

    # Nothing below may run unless the children's PSResourceGet state is the test's own: a failed It would not stop
    # the next ones from registering a repository or uninstalling a module in the user's real state.
    $dataFolder = (Invoke-Step -Name 'isolation' -Body @'
[pscustomobject]@{ DataFolder = [Environment]::GetFolderPath('LocalApplicationData') } | ConvertTo-Json -Compress
'@).DataFolder
    $inside = $dataFolder -and ([System.IO.Path]::GetFullPath($dataFolder) + [System.IO.Path]::DirectorySeparatorChar).StartsWith(
        $script:State.Root + [System.IO.Path]::DirectorySeparatorChar, [StringComparison]::OrdinalIgnoreCase)
    if (-not $inside) {
        throw "the child's PSResourceGet data folder '$dataFolder' is not inside the test's user state '$($script:State.Root)': not installing anything"
    }
}

# Windows resolves LocalApplicationData from the profile, which no environment variable moves: PSResourceGet's
# repository list there is always the user's own, so the install is not played on Windows.
Describe 'Install-PSResource from the file repository' -Skip:$IsWindows {
    It 'starts from a user state with no MgPresence and no repository of ours' {
        $before = Invoke-Step -Name 'before' -Body @'
$ErrorActionPreference = 'Stop'
[pscustomobject]@{
    Modules      = @(Get-Module -ListAvailable MgPresence | ForEach-Object ModuleBase)
    Repositories = @(Get-PSResourceRepository | ForEach-Object Name)
    DataFolder   = [Environment]::GetFolderPath('LocalApplicationData')
} | ConvertTo-Json -Compress
'@
        $before.Modules | Should -BeNullOrEmpty
        $before.Repositories | Should -Not -Contain 'MgPresenceLocal'
        # The repository list this child will write is in the test's own folder, never the user's.
        [System.IO.Path]::GetFullPath($before.DataFolder) | Should -BeLike ($script:State.Root + '*')
    }

    It 'registers out/repo and installs MgPresence from it' {
        $installed = Invoke-Step -Name 'install' -Arguments @('-RepositoryPath', $script:RepositoryPath) -Body @'
param([string] $RepositoryPath)
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name MgPresenceLocal -Uri $RepositoryPath -Trusted
Install-PSResource -Name MgPresence -Repository MgPresenceLocal -Scope CurrentUser -Quiet
$r = Get-InstalledPSResource -Name MgPresence
[pscustomobject]@{ Name = $r.Name; Version = "$($r.Version)"; InstalledLocation = $r.InstalledLocation } | ConvertTo-Json -Compress
'@
        $installed.Name | Should -Be 'MgPresence'
        $installed.Version | Should -Be $script:Version
        [System.IO.Path]::GetFullPath($installed.InstalledLocation) | Should -BeLike ($script:State.Root + '*')
        $script:ModuleBase = Join-Path $script:State.UserModules "MgPresence/$script:Version"
        if ($IsWindows) { $script:ModuleBase = Join-Path $installed.InstalledLocation "MgPresence/$script:Version" }
        Join-Path $script:ModuleBase 'MgPresence.psd1' | Should -Exist
    }

    It 'installs a module whose Test-ModuleManifest is clean' {
        Get-ManifestProblem (Join-Path $script:ModuleBase 'MgPresence.psd1') | Should -BeNullOrEmpty
    }

    It 'installs at most 10 MB on disk for a platform (the shared files and one engine)' {
        $total = Get-FolderSize $script:ModuleBase
        $engines = @(Get-ModuleEngine $script:ModuleBase)
        $engines.Rid | Should -Contain (Get-PackageRid)
        $shared = $total - ($engines | Measure-Object -Property Length -Sum).Sum
        foreach ($engine in $engines) {
            $engine.Files.Count | Should -Be 1 -Because "runtimes/$($engine.Rid)/native holds the one engine"
            ($shared + $engine.Length) / 1MB | Should -BeLessOrEqual 10 -Because "the module for $($engine.Rid) is $([Math]::Round(($shared + $engine.Length) / 1MB, 2)) MB"
        }
        Write-Host ("installed: {0:N2} MB in all ({1} engines: {2}); shared files {3:N2} MB" -f ($total / 1MB), $engines.Count, ($engines.Rid -join ', '), ($shared / 1MB))
    }

    It 'imports MgPresence by name and sets and reads a presence on the emulator' {
        $userId = [guid]::NewGuid().ToString()
        $seen = Invoke-Step -Name 'use' -Arguments @('-EmulatorUrl', $script:EmulatorUrl, '-UserId', $userId) -Body @'
param([string] $EmulatorUrl, [string] $UserId)
$ErrorActionPreference = 'Stop'
Import-Module MgPresence
$module = Get-Module MgPresence
Add-MgEnvironment -Name Emulator -GraphEndpoint $EmulatorUrl -AzureADEndpoint $EmulatorUrl | Out-Null
Connect-MgGraph -AccessToken (ConvertTo-SecureString 't' -AsPlainText -Force) -Environment Emulator -NoWelcome
Set-MgUserPresence -UserId $UserId -SessionId '22553876-f5ab-4529-bffb-cfe50aa89f87' -Availability Busy -Activity InACall -ExpirationDuration '01:00:00'
$p = Get-MgUserPresence -UserId $UserId
[pscustomobject]@{
    ModuleBase   = $module.ModuleBase
    Version      = "$($module.Version)"
    Id           = $p.Id
    Availability = $p.Availability
    Activity     = $p.Activity
} | ConvertTo-Json -Compress
'@
        [System.IO.Path]::GetFullPath($seen.ModuleBase) | Should -Be ([System.IO.Path]::GetFullPath($script:ModuleBase).TrimEnd('/', '\'))
        $seen.Version | Should -Be $script:Version
        $seen.Id | Should -Be $userId
        $seen.Availability | Should -Be 'Busy'
        $seen.Activity | Should -Be 'InACall'
    }

    It 'uninstalls MgPresence' {
        $after = Invoke-Step -Name 'uninstall' -Body @'
$ErrorActionPreference = 'Stop'
Uninstall-PSResource -Name MgPresence -Scope CurrentUser
Unregister-PSResourceRepository -Name MgPresenceLocal
[pscustomobject]@{
    Installed    = @(Get-InstalledPSResource -Name MgPresence -ErrorAction SilentlyContinue | ForEach-Object InstalledLocation)
    Available    = @(Get-Module -ListAvailable MgPresence | ForEach-Object ModuleBase)
    Repositories = @(Get-PSResourceRepository | ForEach-Object Name)
} | ConvertTo-Json -Compress
'@
        $after.Installed | Should -BeNullOrEmpty
        $after.Available | Should -BeNullOrEmpty
        $after.Repositories | Should -Not -Contain 'MgPresenceLocal'
        Join-Path $script:ModuleBase 'MgPresence.psd1' | Should -Not -Exist
    }
}
