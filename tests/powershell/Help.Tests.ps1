# The generated cmdlets' help, as Get-Help reads it from the module's MAML file (en-US/MgPresence-help.xml): every
# cmdlet has its synopsis, a syntax per parameter set, its parameters with their descriptions, an example and the
# online link, none of it in the script that PowerShell parses on import.
param($ModulePath, $EmulatorUrl)

BeforeDiscovery {
    # The generated cmdlets, as the catalog lists them (generated/MgPresence.Cmdlets.TestCases.psd1); the
    # hand-written ones (Connect-MgGraph, …) keep comment-based help.
    $casesFile = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'generated', 'MgPresence.Cmdlets.TestCases.psd1')
    $cmdlets = @((Import-PowerShellDataFile -Path $casesFile -SkipLimitCheck).Cmdlets | ForEach-Object { @{ Name = $_.Cmdlet } })
}

BeforeAll {
    Import-Module $ModulePath -Force
    $helpFile = Join-Path (Split-Path $ModulePath) 'en-US/MgPresence-help.xml'
}

Describe 'The MAML help file' {
    It 'sits in the module''s en-US folder and is well-formed XML' {
        $helpFile | Should -Exist
        { [xml](Get-Content -Raw $helpFile) } | Should -Not -Throw
    }

    It 'is where the generated script points, and the script holds no help text of its own' {
        $script = Get-Content -Raw (Join-Path (Split-Path $ModulePath) 'MgPresence.psm1')
        $script | Should -Match '\.EXTERNALHELP MgPresence-help\.xml'
        $script | Should -Not -Match '\.SYNOPSIS\s+Set a presence status for a user'
    }
}

Describe 'Get-Help <Name>' -ForEach $cmdlets {
    BeforeAll {
        $help = Get-Help $Name -Full
        $command = Get-Command $Name
    }

    It 'has a synopsis and a description' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$Name*" -Because 'an auto-generated help stub starts with the syntax'
        ($help.description | Out-String) | Should -Not -BeNullOrEmpty
    }

    It 'has a syntax item per parameter set' {
        @($help.syntax.syntaxItem).Count | Should -Be $command.ParameterSets.Count
    }

    It 'describes each parameter a user sees' {
        $shown = @($command.Parameters.Values | Where-Object {
                -not $_.Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow }) -and
                $_.Name -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and
                $_.Name -notin [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
            }).Name
        $described = @($help.parameters.parameter | Where-Object { ($_.description | Out-String).Trim() }).name
        foreach ($name in $shown) { $described | Should -Contain $name }
    }

    It 'has an example and the online link' {
        @($help.examples.example).Count | Should -BeGreaterOrEqual 1
        $help.examples.example[0].code | Should -BeLike "*$Name*"
        $help.relatedLinks.navigationLink[0].uri | Should -BeLike 'https://learn.microsoft.com/powershell/module/*'
    }
}

Describe 'Get-Help for a parameter' {
    It 'shows -Availability of Set-MgUserPresence with its type and sets' {
        $parameter = Get-Help Set-MgUserPresence -Parameter Availability
        $parameter.type.name | Should -Be 'string'
        ($parameter.description | Out-String) | Should -Not -BeNullOrEmpty
        $parameter.required | Should -Be 'false'
    }

    It 'marks -UserId of Get-MgUserPresence required and -InputObject as pipeline input' {
        (Get-Help Get-MgUserPresence -Parameter UserId).required | Should -Be 'true'
        (Get-Help Get-MgUserPresence -Parameter InputObject).pipelineInput | Should -Be 'True (ByValue)'
    }
}
