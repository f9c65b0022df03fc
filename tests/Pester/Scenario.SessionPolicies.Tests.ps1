BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    $edge = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'

    function New-SessionStore([string] $Mode) {
        $path = Join-Path $TestDrive ([guid]::NewGuid())
        Add-CasbApp -StorePath $path -Name 'Microsoft Online Services' -Upstream 'http://127.0.0.1:8080'
        New-CasbConditionalAccessPolicy -StorePath $path -Name 'Everyone via App Control' -IncludeUser All -SessionControl AppControl -AppControlMode $Mode | Out-Null
        $path
    }
}

Describe 'Session policies: what-if of downloads and uploads (Test-CasbAccess -Download/-Upload)' {
    It 'MonitorOnly records downloads and uploads and blocks neither' {
        $store = New-SessionStore MonitorOnly

        $download = Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge -Download -FileName 'q3.xlsx'
        $upload = Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge -Upload -FileName 'q3.xlsx'

        $download.Action | Should -Be 'Monitor'
        $download.FileAction | Should -Be 'Audit'
        $download.AppControlMode | Should -Be 'MonitorOnly'
        $upload.FileAction | Should -Be 'Audit'
    }

    It 'BlockDownloads blocks every download in scope, with a message, and records uploads' {
        $store = New-SessionStore BlockDownloads

        $download = Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge -Download -FileName 'notes.txt' -FileSizeMB 0.01
        $upload = Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge -Upload -FileName 'notes.txt'
        $session = Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge

        $download.Action | Should -Be 'Block'
        $download.BlockMessage | Should -Be 'Downloads from Microsoft Online Services are blocked by your organization''s policy.'
        $upload.Action | Should -Be 'Monitor'
        $session.Action | Should -Be 'Allow'
        $session.File | Should -BeNullOrEmpty
    }

    Context 'UseCustomPolicy' {
        BeforeAll {
            $store = New-SessionStore UseCustomPolicy
            New-CasbSessionPolicy -StorePath $store -Name 'No downloads to unmanaged' -ControlType ControlFileDownload -Action Block `
                -DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual -FileExtension xlsx, docx -BlockMessage 'Download from a company device.' | Out-Null
            New-CasbSessionPolicy -StorePath $store -Name 'Audit office downloads' -ControlType ControlFileDownload -Action Audit -FileExtension xlsx -Severity High | Out-Null
            New-CasbSessionPolicy -StorePath $store -Name 'Audit large uploads' -ControlType ControlFileUpload -MinFileSizeMB 10 | Out-Null
        }

        It 'blocks a matching download, Block winning over a higher-severity Audit' {
            $decision = Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge -Download -FileName 'Q3.XLSX'

            $decision.Action | Should -Be 'Block'
            $decision.BlockingPolicy | Should -Be 'No downloads to unmanaged'
            $decision.BlockMessage | Should -Be 'Download from a company device.'
            $decision.File.MatchedPolicies | Should -Be @('No downloads to unmanaged', 'Audit office downloads')
            $decision.SessionPolicies | Should -Contain 'Audit large uploads'
        }

        It 'lets a file no policy filters on through' {
            (Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge -Download -FileName 'readme.txt').Action | Should -Be 'Allow'
        }

        It 'filters uploads on size, a transfer of unknown size matching' {
            (Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge -Upload -FileName 'a.zip' -FileSizeMB 1).Action | Should -Be 'Allow'
            (Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge -Upload -FileName 'a.zip' -FileSizeMB 20).Action | Should -Be 'Monitor'
            (Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge -Upload -FileName 'a.zip').Action | Should -Be 'Monitor'
        }

        It 'stops applying a disabled policy' {
            Disable-CasbSessionPolicy -StorePath $store -Name 'No downloads to unmanaged'
            try {
                (Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge -Download -FileName 'q3.xlsx').Action | Should -Be 'Monitor'
            }
            finally {
                Enable-CasbSessionPolicy -StorePath $store -Name 'No downloads to unmanaged'
            }
        }

        It 'refuses a file transfer without a file name or with both directions' {
            { Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -Download -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidFileTransfer,CasbModule.Cmdlets.TestCasbAccessCommand'
            { Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -Download -Upload -FileName a.txt -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidFileTransfer,CasbModule.Cmdlets.TestCasbAccessCommand'
        }
    }

    It 'a session not under App Control lets every file through' {
        $store = New-SessionStore BlockDownloads
        Set-CasbConditionalAccessPolicy -StorePath $store -Name 'Everyone via App Control' -State Off

        (Test-CasbAccess -StorePath $store -App 'Microsoft Online Services' -UserAgent $edge -Download -FileName 'a.exe').Action | Should -Be 'Allow'
    }
}

Describe 'Session policies: one registration for cascades and Export/Import' {
    It 'Remove-CasbApp -Force turns off a session policy whose only app it was' {
        $store = New-SessionStore UseCustomPolicy
        Add-CasbApp -StorePath $store -Name 'Wiki' -Upstream 'http://127.0.0.1:8081'
        New-CasbSessionPolicy -StorePath $store -Name 'Wiki downloads' -ControlType ControlFileDownload -Action Block -App Wiki | Out-Null

        { Remove-CasbApp -StorePath $store -Name Wiki -ErrorAction Stop } | Should -Throw -ErrorId 'AppInUse,CasbModule.Cmdlets.RemoveCasbAppCommand' -ExpectedMessage "*'Wiki downloads'*"
        Remove-CasbApp -StorePath $store -Name Wiki -Force -WarningAction SilentlyContinue

        $policy = Get-CasbSessionPolicy -StorePath $store -Name 'Wiki downloads'
        $policy.Enabled | Should -BeFalse
        $policy.Apps | Should -HaveCount 0
    }

    It 'exports and imports session policies' {
        $source = New-SessionStore UseCustomPolicy
        New-CasbSessionPolicy -StorePath $source -Name 'Audit uploads' -ControlType ControlFileUpload -FileExtension pdf | Out-Null
        $file = Join-Path $TestDrive "$([guid]::NewGuid()).json"
        Export-CasbConfiguration -StorePath $source -Path $file
        $target = Join-Path $TestDrive ([guid]::NewGuid())

        $changes = Import-CasbConfiguration -StorePath $target -Path $file -PassThru

        ($changes | Where-Object ItemType -EQ 'SessionPolicy').Name | Should -Be 'Audit uploads'
        (Get-CasbSessionPolicy -StorePath $target).FileExtensions | Should -Be 'pdf'
    }
}
