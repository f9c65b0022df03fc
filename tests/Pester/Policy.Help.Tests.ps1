BeforeDiscovery {
    $cmdlets = @(
        'Add-CasbApp', 'Get-CasbApp', 'Set-CasbApp', 'Remove-CasbApp',
        'New-CasbGroup', 'Get-CasbGroup', 'Remove-CasbGroup', 'Add-CasbGroupMember', 'Remove-CasbGroupMember',
        'New-CasbConditionalAccessPolicy', 'Get-CasbConditionalAccessPolicy', 'Set-CasbConditionalAccessPolicy', 'Remove-CasbConditionalAccessPolicy',
        'New-CasbAccessPolicy', 'Get-CasbAccessPolicy', 'Set-CasbAccessPolicy', 'Remove-CasbAccessPolicy', 'Enable-CasbAccessPolicy', 'Disable-CasbAccessPolicy',
        'Test-CasbAccess', 'Export-CasbConfiguration', 'Import-CasbConfiguration'
    ) | ForEach-Object { @{ Name = $_ } }
}

BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
}

Describe 'Help of the policy cmdlets' {
    It '<Name> has a synopsis, a description, examples and a description of every parameter' -TestCases $cmdlets {
        $help = Get-Help $Name -Full

        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name\s"
        ($help.Description.Text -join ' ') | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        @($help.Examples.Example)[0].Code | Should -Match ([regex]::Escape($Name))
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        foreach ($parameter in (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $entry = $help.Parameters.Parameter | Where-Object Name -EQ $parameter
            ($entry.Description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$parameter of $Name needs a description"
        }
    }
}
