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

    It 'leaves a newer gateway of the same name running and recorded when an older object of the name is stopped' {
        Stop-CasbGateway -StorePath $store -Name default
        $newer = Start-CasbGateway -StorePath $store -Port (Get-FreePort)
        try {
            $gateway | Stop-CasbGateway

            $recorded = Get-CasbGateway -StorePath $store
            $recorded.ProcessId | Should -Be $newer.ProcessId
            $recorded.Status | Should -Be 'Running'
            Stop-CasbGateway -StorePath $store -Name default
            Get-Process -Id $newer.ProcessId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        finally {
            Stop-Process -Id $newer.ProcessId -Force -ErrorAction SilentlyContinue
        }
    }

    It 'reports a name that is not recorded' {
        Stop-CasbGateway -StorePath $store -Name 'nope' -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -Be 'GatewayNotFound,CasbModule.Cmdlets.StopCasbGatewayCommand'
        (Get-CasbGateway -StorePath $store).Status | Should -Be 'Running'
    }
}
