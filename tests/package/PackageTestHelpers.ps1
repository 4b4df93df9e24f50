# Helpers of the package tests: a child pwsh with its own, empty user state (module path, PSResourceGet repository
# list), as a fresh machine has it.

# The pwsh to start children with: the one `cargo xtask test` names, else this one.
function Get-PackageTestPwsh {
    if ($env:MGPRESENCE_PWSH_PROGRAM) { return $env:MGPRESENCE_PWSH_PROGRAM }
    return [Environment]::ProcessPath
}

# A new user state under $Root: home, data, config and cache folders, an empty module folder. Returns the
# environment a child needs to use it. PSResourceGet keeps its repository list and installs CurrentUser modules under
# .NET's LocalApplicationData: $XDG_DATA_HOME on Linux, $HOME/Library/Application Support on macOS, the profile's
# AppData\Local on Windows (no environment variable moves that one). The folders must exist: .NET answers an empty
# path for a folder that does not, and PSResourceGet then writes into the working directory.
function New-IsolatedUserState {
    param([Parameter(Mandatory)] [string] $Root)
    $state = @{ Root = (New-Item -ItemType Directory -Force -Path $Root).FullName }
    # A fresh user's folders, as a home without XDG_* variables has them: PSResourceGet installs CurrentUser modules
    # into $HOME/.local/share/powershell/Modules whatever XDG_DATA_HOME says, and pwsh looks for them in
    # $XDG_DATA_HOME/powershell/Modules, so the two must be the same folder.
    foreach ($entry in @(
            @('home', 'home'), @('data', 'home/.local/share'), @('config', 'home/.config'), @('cache', 'home/.cache'),
            @('macData', 'home/Library/Application Support'), @('modules', 'modules'), @('work', 'work'),
            @('UserModules', 'home/.local/share/powershell/Modules'))) {
        $state[$entry[0]] = (New-Item -ItemType Directory -Force -Path (Join-Path $state.Root $entry[1])).FullName
    }
    $state.Environment = @{
        HOME            = $state.home
        XDG_DATA_HOME   = $state.data
        XDG_CONFIG_HOME = $state.config
        XDG_CACHE_HOME  = $state.cache
        PSModulePath    = $state.modules
        # Plain text on stdout and stderr: no ANSI colours in what the tests read and report.
        NO_COLOR        = '1'
    }
    return $state
}

# Runs `pwsh -NoProfile -NonInteractive -File $Script @Arguments` with $Environment set on top of this process's,
# in $WorkingDirectory. Returns ExitCode, Output (stdout) and Errors (stderr).
function Invoke-ChildPwsh {
    param(
        [Parameter(Mandatory)] [string] $Script,
        [string[]] $Arguments = @(),
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory = (Get-Location).ProviderPath,
        [int] $TimeoutSeconds = 120
    )
    $info = [System.Diagnostics.ProcessStartInfo]::new((Get-PackageTestPwsh))
    foreach ($a in @('-NoProfile', '-NonInteractive', '-File', $Script) + $Arguments) { $info.ArgumentList.Add($a) }
    foreach ($key in $Environment.Keys) { $info.Environment[$key] = [string] $Environment[$key] }
    $info.WorkingDirectory = $WorkingDirectory
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill($true)
        throw "the child pwsh ($Script) did not finish within $TimeoutSeconds s"
    }
    $process.WaitForExit()
    $ansi = '\x1b\[[0-9;?]*[A-Za-z]'
    [pscustomobject]@{
        ExitCode = $process.ExitCode
        Output   = $stdout.Result -replace $ansi, ''
        Errors   = $stderr.Result -replace $ansi, ''
    }
}

# Fails with the child's output when it did not exit 0.
function Assert-ChildSucceeded {
    param([Parameter(Mandatory)] $Result)
    if ($Result.ExitCode -ne 0) {
        throw "the child pwsh exited with $($Result.ExitCode)`n--- stdout ---`n$($Result.Output)`n--- stderr ---`n$($Result.Errors)"
    }
}

# The last line of a child's output that is a JSON object, as an object.
function Read-ChildJson {
    param([Parameter(Mandatory)] $Result)
    $line = ($Result.Output -split "`r?`n" | Where-Object { $_.StartsWith('{') } | Select-Object -Last 1)
    if (-not $line) { throw "the child wrote no JSON`n--- stdout ---`n$($Result.Output)`n--- stderr ---`n$($Result.Errors)" }
    return $line | ConvertFrom-Json
}

# Bytes of the files under a folder.
function Get-FolderSize {
    param([Parameter(Mandatory)] [string] $Path)
    $sum = (Get-ChildItem -LiteralPath $Path -Recurse -File | Measure-Object -Property Length -Sum).Sum
    if ($null -eq $sum) { return 0 }
    return [long] $sum
}

# The engines of a module folder: runtimes/<rid>/native/<file>, each as Rid and Length.
function Get-ModuleEngine {
    param([Parameter(Mandatory)] [string] $ModuleBase)
    $runtimes = Join-Path $ModuleBase 'runtimes'
    if (-not (Test-Path -LiteralPath $runtimes)) { return @() }
    Get-ChildItem -LiteralPath $runtimes -Directory | ForEach-Object {
        $native = Join-Path $_.FullName 'native'
        $files = @(Get-ChildItem -LiteralPath $native -File -ErrorAction SilentlyContinue)
        [pscustomobject]@{ Rid = $_.Name; Length = [long] ($files | Measure-Object -Property Length -Sum).Sum; Files = $files.Name }
    }
}

# The runtime identifier of this OS and process architecture, as the package names its folders.
function Get-PackageRid {
    $os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
    $arch = switch ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture) {
        'X64' { 'x64' }
        'Arm64' { 'arm64' }
        default { "$_".ToLowerInvariant() }
    }
    return "$os-$arch"
}

# Test-ModuleManifest's errors and warnings as text: none when the manifest is clean.
function Get-ManifestProblem {
    param([Parameter(Mandatory)] [string] $ManifestPath)
    $manifest = Test-ModuleManifest -Path $ManifestPath -ErrorVariable errors -WarningVariable warnings -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
    $problems = @(@($errors) + @($warnings) | Where-Object { $_ } | ForEach-Object { "$_" })
    if (-not $manifest) { $problems += "Test-ModuleManifest returned nothing for $ManifestPath" }
    return , $problems
}
