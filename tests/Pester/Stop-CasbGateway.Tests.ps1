BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    . (Join-Path $PSScriptRoot 'FreePort.ps1')
}

Describe 'Stop-CasbGateway' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        $gateway = Start-CasbGateway -StorePath $store -Port (Get-FreePort)
    }

    AfterEach {
        Stop-Process -Id $gateway.ProcessId -Force -ErrorAction SilentlyContinue
    }

    It 'stops a gateway by name and removes its record' {
        Stop-CasbGateway -StorePath $store -Name default

        Get-Process -Id $gateway.ProcessId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-CasbGateway -StorePath $store | Should -BeNullOrEmpty
    }

    It 'stops gateways from the pipeline and returns them with -PassThru' {
        $stopped = Get-CasbGateway -StorePath $store | Stop-CasbGateway -PassThru

        $stopped.Name | Should -Be 'default'
        $stopped.Status | Should -Be 'Stopped'
        Get-Process -Id $gateway.ProcessId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'shuts down gracefully: the host logs its own shutdown instead of being killed' -Skip:$IsWindows {
        Stop-CasbGateway -StorePath $store -Name default -Timeout 20

        Get-Process -Id $gateway.ProcessId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-Content $gateway.LogFile -Raw | Should -Match 'Application is shutting down'
    }

    It 'leaves the gateway running with -WhatIf' {
        Stop-CasbGateway -StorePath $store -Name default -WhatIf

        (Get-CasbGateway -StorePath $store).Status | Should -Be 'Running'
    }

    It 'reports a name that is not recorded' {
        Stop-CasbGateway -StorePath $store -Name 'nope' -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -Be 'GatewayNotFound,CasbModule.Cmdlets.StopCasbGatewayCommand'
        (Get-CasbGateway -StorePath $store).Status | Should -Be 'Running'
    }
}
