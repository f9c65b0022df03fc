# The tests' free-port helper: a port it handed out is never handed out again in the process, so two listeners set up
# one after the other (a gateway and its OTLP collector) never get the same port.
BeforeAll {
    . (Join-Path $PSScriptRoot 'FreePort.ps1')
}

Describe 'Get-FreePort' {
    It 'hands out no port twice, however many are asked for in a row' {
        $ports = @(1..500 | ForEach-Object { Get-FreePort })
        ($ports | Sort-Object -Unique).Count | Should -Be 500
    }

    It 'hands out a port a listener can take at once' {
        $port = Get-FreePort
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port)
        $listener.Start()
        try { $listener.LocalEndpoint.Port | Should -Be $port } finally { $listener.Stop() }
    }
}
