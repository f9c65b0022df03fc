# Every exported cmdlet has real help: synopsis, description, examples and a description for each parameter.
BeforeDiscovery {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    $script:cmdlets = @(Get-Command -Module CasbModule -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    $script:common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'The module manifest' {
    It 'is valid and exports every cmdlet it lists' {
        $manifest = Test-ModuleManifest -Path $env:CASB_MODULE_MANIFEST -ErrorAction Stop
        $exported = (Get-Module CasbModule).ExportedCmdlets.Keys
        $missing = @($manifest.ExportedCmdlets.Keys | Where-Object { $_ -notin $exported })
        $missing | Should -BeNullOrEmpty -Because 'the manifest lists them'
    }

    It 'ships the generated MAML help and the format file' {
        $moduleBase = Split-Path $env:CASB_MODULE_MANIFEST
        Join-Path $moduleBase 'en-US/CasbModule.dll-Help.xml' | Should -Exist
        Join-Path $moduleBase 'CasbModule.format.ps1xml' | Should -Exist
    }
}

Describe 'Help for <Name>' -ForEach $cmdlets {
    BeforeAll {
        $help = Get-Help $Name -Full
    }

    It 'has a synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$([regex]::Escape($Name))"
    }

    It 'has a description' {
        ($help.Description.Text -join ' ') | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example that uses the cmdlet' {
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        ($help.Examples.Example | ForEach-Object code) -join "`n" | Should -Match ([regex]::Escape($Name))
    }

    It 'describes every parameter' {
        $parameters = (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common }
        foreach ($parameter in $parameters) {
            $parameterHelp = $help.Parameters.Parameter | Where-Object Name -EQ $parameter
            ($parameterHelp.Description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$parameter of $Name needs a description"
        }
    }
}
