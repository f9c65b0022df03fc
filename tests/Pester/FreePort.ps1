# A free loopback TCP port for a test's listener or gateway (dot-source it in BeforeAll). The system soon hands out a
# port it has just released again, so two calls in a row could return the same one: a gateway and the OTLP listener it
# was to send to each took "their" port, and the gateway failed with "address already in use". A port handed out once
# in this process is never handed out again.
if (-not (Get-Variable -Name CasbTestPortsHandedOut -Scope Global -ErrorAction SilentlyContinue)) {
    $global:CasbTestPortsHandedOut = [System.Collections.Generic.HashSet[int]]::new()
}

function Get-FreePort {
    while ($true) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try { $port = $listener.LocalEndpoint.Port } finally { $listener.Stop() }
        if ($global:CasbTestPortsHandedOut.Add($port)) { return $port }
    }
}
