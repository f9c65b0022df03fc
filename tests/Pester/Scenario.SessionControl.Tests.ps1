# End to end: session control at the real gateway process (Start-CasbGateway) in front of the real sample upstream
# app: a download blocked by App Control mode BlockDownloads (replaced by <name>.blocked.txt), an upload blocked by a session policy, and the what-if
# (Test-CasbAccess -Download/-Upload) agreeing with both.
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    . (Join-Path $PSScriptRoot 'FreePort.ps1')

    function Wait-Activity([string] $CorrelationId) {
        foreach ($attempt in 1..50) {
            $record = Get-CasbActivity -StorePath $store -CorrelationId $CorrelationId
            if ($record) { return $record }
            Start-Sleep -Milliseconds 100
        }
    }

    $browser = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0'
    $store = Join-Path $TestDrive 'store'

    $upstreamPort = Get-FreePort
    $gatewayDll = Join-Path (Split-Path $env:CASB_MODULE_MANIFEST) 'gateway/CasbGateway.dll'
    $upstream = Start-Process -FilePath ([Diagnostics.Process]::GetCurrentProcess().MainModule.FileName -replace 'pwsh$', 'dotnet' -replace 'pwsh.exe$', 'dotnet.exe') `
        -ArgumentList $gatewayDll, 'sample-app', '--urls', "http://127.0.0.1:$upstreamPort" -PassThru `
        -RedirectStandardOutput (Join-Path $TestDrive 'upstream.log') -RedirectStandardError (Join-Path $TestDrive 'upstream.err')

    # Two apps on one upstream, told apart by host name: one whose downloads are all blocked, one with custom policies.
    Add-CasbApp -StorePath $store -Name 'Files' -Upstream "http://127.0.0.1:$upstreamPort" -Hostname 'localhost'
    Add-CasbApp -StorePath $store -Name 'Portal' -Upstream "http://127.0.0.1:$upstreamPort" -Hostname '127.0.0.1'
    New-CasbConditionalAccessPolicy -StorePath $store -Name 'Files: no downloads' -IncludeUser All -App 'Files' -SessionControl AppControl -AppControlMode BlockDownloads | Out-Null
    New-CasbConditionalAccessPolicy -StorePath $store -Name 'Portal: custom' -IncludeUser All -App 'Portal' -SessionControl AppControl -AppControlMode UseCustomPolicy | Out-Null
    New-CasbSessionPolicy -StorePath $store -Name 'No executables' -App 'Portal' -ControlType ControlFileUpload -Action Block -FileExtension exe `
        -BlockMessage 'Executables cannot be uploaded.' | Out-Null

    foreach ($attempt in 1..100) {
        try { Invoke-WebRequest "http://127.0.0.1:$upstreamPort/" -TimeoutSec 2 | Out-Null; break } catch { Start-Sleep -Milliseconds 100 }
    }

    $port = Get-FreePort
    # Each request's own record is looked up below; the default (Summary) counts repeated allowed requests per minute.
    Set-CasbGatewaySetting -StorePath $store -ActivityVolume Full
    $gateway = Start-CasbGateway -StorePath $store -Port $port -Name 'sessions' -UpstreamTimeout 5
}

AfterAll {
    Get-CasbGateway -StorePath $store -ErrorAction SilentlyContinue | Stop-CasbGateway -Timeout 5 -ErrorAction SilentlyContinue
    if ($gateway) { Stop-Process -Id $gateway.ProcessId -Force -ErrorAction SilentlyContinue }
    if ($upstream) { Stop-Process -Id $upstream.Id -Force -ErrorAction SilentlyContinue }
}

Describe 'Session control at the gateway' {
    It 'BlockDownloads: a download is replaced by q3.xlsx.blocked.txt with the message and correlation id, and logged; a page is served' {
        $saved = Join-Path $TestDrive 'saved'
        $download = Invoke-WebRequest "https://localhost:$port/download/q3.xlsx" -SkipCertificateCheck -SkipHttpErrorCheck -UserAgent $browser -Headers @{ Accept = 'text/html' } -OutFile $saved -PassThru
        $page = Invoke-WebRequest "https://localhost:$port/" -SkipCertificateCheck -SkipHttpErrorCheck -UserAgent $browser

        $correlationId = [string] $download.Headers['X-Casb-Correlation-Id']
        $download.StatusCode | Should -Be 200
        [string] $download.Headers['Content-Disposition'] | Should -Match 'filename="?q3\.xlsx\.blocked\.txt"?;'
        $text = Get-Content -Raw $saved
        $text | Should -Match 'Downloads from Files are blocked'
        $text | Should -Match "Correlation id: $correlationId"
        $page.StatusCode | Should -Be 200
        $record = Wait-Activity $correlationId
        $record.Action | Should -Be 'Block'
        $record.FileDirection | Should -Be 'Download'
        $record.FileName | Should -Be 'q3.xlsx'
        (Test-CasbAccess -StorePath $store -App 'Files' -UserAgent $browser -Download -FileName 'q3.xlsx').Action | Should -Be 'Block'
    }

    It 'a session policy blocks an executable upload and lets another file through' {
        $exe = Join-Path $TestDrive 'setup.exe'
        $txt = Join-Path $TestDrive 'notes.txt'
        [IO.File]::WriteAllBytes($exe, [byte[]]::new(2048))
        [IO.File]::WriteAllText($txt, 'notes')

        $blocked = Invoke-WebRequest "https://127.0.0.1:$port/upload" -Method Post -Form @{ file = Get-Item $exe } -SkipCertificateCheck -SkipHttpErrorCheck -UserAgent $browser -Headers @{ Accept = 'text/html' }
        $allowed = Invoke-WebRequest "https://127.0.0.1:$port/upload" -Method Post -Form @{ file = Get-Item $txt } -SkipCertificateCheck -SkipHttpErrorCheck -UserAgent $browser

        $blocked.StatusCode | Should -Be 403
        $blocked.Content | Should -Match 'Executables cannot be uploaded.'
        $allowed.StatusCode | Should -Be 200
        $allowed.Content | Should -Match '^Received \d+ bytes'
        $record = Wait-Activity ([string] $blocked.Headers['X-Casb-Correlation-Id'])
        $record.SessionPolicy | Should -Be 'No executables'
        $received = Wait-Activity ([string] $allowed.Headers['X-Casb-Correlation-Id'])
        $received.FileName | Should -Be 'notes.txt'
        $received.FileDirection | Should -Be 'Upload'
        $received.FileSizeBytes | Should -Be 5
        (Test-CasbAccess -StorePath $store -App 'Portal' -UserAgent $browser -Upload -FileName 'setup.exe').Action | Should -Be 'Block'
        (Test-CasbAccess -StorePath $store -App 'Portal' -UserAgent $browser -Upload -FileName 'notes.txt').Action | Should -Be 'Allow'
    }
}
