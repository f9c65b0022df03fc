BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    . (Join-Path $PSScriptRoot 'FreePort.ps1')

    $store = Join-Path $TestDrive 'store'
    $one = Start-CasbGateway -StorePath $store -Port (Get-FreePort) -Name 'edge-1'
    $two = Start-CasbGateway -StorePath $store -Port (Get-FreePort) -Name 'edge-2'
}

AfterAll {
    Get-CasbGateway -StorePath $store -ErrorAction SilentlyContinue | Stop-CasbGateway -Timeout 5 -ErrorAction SilentlyContinue
    foreach ($gateway in $one, $two) {
        if ($gateway) { Stop-Process -Id $gateway.ProcessId -Force -ErrorAction SilentlyContinue }
    }
}

Describe 'Get-CasbGateway' {
    It 'lists the running gateways of a store' {
        $gateways = Get-CasbGateway -StorePath $store

        $gateways.Name | Should -Be @('edge-1', 'edge-2')
        $gateways.Status | Should -Be @('Running', 'Running')
        $gateways[0].ProcessId | Should -Be $one.ProcessId
        $gateways[0] | Should -BeOfType 'CasbModule.Types.CasbGateway'
    }

    It 'filters by wildcard name' {
        (Get-CasbGateway -StorePath $store -Name '*-2').Name | Should -Be 'edge-2'
    }

    It 'reports a name that is not recorded' {
        Get-CasbGateway -StorePath $store -Name 'nope' -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -Be 'GatewayNotFound,CasbModule.Cmdlets.GetCasbGatewayCommand'
    }

    It 'completes gateway names from the store given with -StorePath' {
        $line = "Stop-CasbGateway -StorePath '$store' -Name edge"
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText

        $completions | Should -Be @('edge-1', 'edge-2')
    }

    It 'shows a gateway whose process is gone as Stopped' {
        Stop-Process -Id $two.ProcessId -Force
        (Get-Process -Id $two.ProcessId -ErrorAction SilentlyContinue) | Wait-Process -Timeout 10 -ErrorAction SilentlyContinue

        (Get-CasbGateway -StorePath $store -Name 'edge-2').Status | Should -Be 'Stopped'
        (Get-CasbGateway -StorePath $store -Name 'edge-1').Status | Should -Be 'Running'
    }
}
