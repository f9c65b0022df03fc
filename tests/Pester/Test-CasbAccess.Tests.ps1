BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    $edge = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
    $outlook = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)'
}

Describe 'Test-CasbAccess' {
    BeforeAll {
        $store = Join-Path $TestDrive 'store'
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8080' -Hostname 'azure.contoso.local'
        Add-CasbApp -StorePath $store -Name 'Wiki' -Upstream 'http://127.0.0.1:8081' -Hostname 'wiki.contoso.local'
        New-CasbGroup -StorePath $store -Name 'Vendors' -Member 'vendor@fabrikam.com' | Out-Null
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'Everyone via App Control' -IncludeUser All -App 'Azure Portal' -SessionControl AppControl | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -App 'Azure Portal' -DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual -Action Block -BlockMessage 'Use a company device.' | Out-Null
    }

    It 'blocks a browser without a client certificate, with the policy''s message' {
        $decision = Test-CasbAccess -StorePath $store -App 'Azure Portal' -UserAgent $edge

        $decision | Should -BeOfType 'CasbModule.Types.CasbAccessDecision'
        $decision.Action | Should -Be 'Block'
        $decision.App | Should -Be 'Azure Portal'
        $decision.ClientAppType | Should -Be 'Browser'
        $decision.CertificateStatus | Should -Not -Be 'Valid'
        $decision.DeviceTags | Should -Not -Contain 'Valid client certificate'
        $decision.BlockingPolicy | Should -Be 'Require certificate'
        $decision.BlockMessage | Should -Be 'Use a company device.'
        $decision.BlockedOnDeviceTags | Should -BeTrue
        $decision.MatchedPolicies.Name | Should -Contain 'Require certificate'
        $decision.UnderAppControl | Should -BeTrue
        $decision.Reasons | Should -Not -BeNullOrEmpty
    }

    It 'says a block that no device-tag filter made is not the certificate''s doing, as the block page does' {
        $blocked = Join-Path $TestDrive 'blocked-user'
        Add-CasbApp -StorePath $blocked -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8080' -Hostname 'azure.contoso.local'
        New-CasbConditionalAccessPolicy -StorePath $blocked -Name 'Everyone via App Control' -IncludeUser All -App 'Azure Portal' -SessionControl AppControl | Out-Null
        New-CasbAccessPolicy -StorePath $blocked -Name 'No vendors' -App 'Azure Portal' -User 'vendor@fabrikam.com' -Action Block -BlockMessage 'Vendors use the portal.' | Out-Null

        $decision = Test-CasbAccess -StorePath $blocked -App 'Azure Portal' -User 'vendor@fabrikam.com' -UserAgent $edge

        $decision.Action | Should -Be 'Block'
        $decision.BlockingPolicy | Should -Be 'No vendors'
        $decision.CertificateStatus | Should -Not -Be 'Valid'
        $decision.BlockedOnDeviceTags | Should -BeFalse
        ($decision | Format-List | Out-String) | Should -Match 'BlockedOnDeviceTags\s*:\s*False'
    }

    It 'treats a missing User-Agent as MobileAndDesktop, which the browser-only policy does not affect' {
        $decision = Test-CasbAccess -StorePath $store -App 'Azure Portal'

        $decision.ClientAppType | Should -Be 'MobileAndDesktop'
        $decision.Action | Should -Be 'Allow'
    }

    It 'does not affect an Outlook desktop client' {
        (Test-CasbAccess -StorePath $store -App 'Azure Portal' -UserAgent $outlook).Action | Should -Be 'Allow'
    }

    It 'finds the app from a URL as the gateway does' {
        $decision = Test-CasbAccess -StorePath $store -Uri 'https://azure.contoso.local/portal/home' -UserAgent $edge

        $decision.App | Should -Be 'Azure Portal'
        $decision.Action | Should -Be 'Block'
    }

    It 'allows a browser to an app no App Control policy covers' {
        $decision = Test-CasbAccess -StorePath $store -App 'Wiki' -UserAgent $edge

        $decision.Action | Should -Be 'Allow'
        $decision.UnderAppControl | Should -BeFalse
    }

    It 'reports the given user and their groups' {
        $decision = Test-CasbAccess -StorePath $store -App 'Azure Portal' -User 'Vendor@Fabrikam.com' -UserAgent $edge

        $decision.User | Should -Be 'Vendor@Fabrikam.com'
        $decision.Groups | Should -Be 'Vendors'
    }

    It 'lists every conditional-access result in its list view' {
        $text = Test-CasbAccess -StorePath $store -App 'Azure Portal' -UserAgent $edge | Format-List | Out-String

        $text | Should -Match 'Everyone via App Control: Applied'
        $text | Should -Match 'Require certificate: Block'
    }

    It 'changes nothing in the store' {
        $before = [IO.File]::ReadAllBytes((Join-Path $store 'casb.json'))

        Test-CasbAccess -StorePath $store -App 'Azure Portal' -UserAgent $edge -IPAddress '2001:db8::10' | Out-Null

        [IO.File]::ReadAllBytes((Join-Path $store 'casb.json')) | Should -Be $before
    }

    It 'reports an app that is not in the store' {
        { Test-CasbAccess -StorePath $store -App 'Nope' } | Should -Throw -ErrorId 'AppNotFound,CasbModule.Cmdlets.TestCasbAccessCommand'
    }

    It 'reports a URL no app answers' {
        { Test-CasbAccess -StorePath $store -Uri 'https://unknown.contoso.local/' } | Should -Throw -ErrorId 'AppNotFound,CasbModule.Cmdlets.TestCasbAccessCommand'
    }

    Context 'a URL whose path has several spellings' {
        BeforeAll {
            Add-CasbApp -StorePath $store -Name 'Wiki admin' -Upstream 'http://127.0.0.1:8082' -Hostname 'wiki.contoso.local' -PathPrefix '/admin'
            New-CasbConditionalAccessPolicy -StorePath $store -Name 'Wiki admin via App Control' -IncludeUser All -App 'Wiki admin' -SessionControl AppControl | Out-Null
            New-CasbAccessPolicy -StorePath $store -Name 'Wiki admin closed' -App 'Wiki admin' -ClientApp Any -Action Block -BlockMessage 'Wiki admin is closed.' | Out-Null
        }

        It 'decides <Path> as the /admin app, as the gateway decides and forwards it' -TestCases @(
            @{ Path = '//admin/secret' }
            @{ Path = '/.//admin/secret' }
            @{ Path = '/x/../admin/secret' }
            @{ Path = '/ADMIN/secret' }
            @{ Path = '/adm%69n/secret?next=/' }
        ) {
            $decision = Test-CasbAccess -StorePath $store -Uri "https://wiki.contoso.local$Path" -UserAgent $edge

            $decision.App | Should -Be 'Wiki admin'
            $decision.Action | Should -Be 'Block'
            $decision.BlockMessage | Should -Be 'Wiki admin is closed.'
        }

        It 'still decides the open app for a path outside /admin' {
            (Test-CasbAccess -StorePath $store -Uri 'https://wiki.contoso.local//administrator/../wiki/home' -UserAgent $edge).App | Should -Be 'Wiki'
        }

        It 'refuses <Path> with RequestPathAmbiguous, as the gateway answers 400' -TestCases @(
            @{ Path = '/admin%2Fsecret'; Why = "*encoded '/' (%2F)*" }
            @{ Path = '/admin%252Fsecret'; Why = "*encoded '%' (%25)*" }
            @{ Path = '/admin;jsessionid=1/secret'; Why = "*';' path parameter*" }
            @{ Path = '/admin\secret'; Why = '*backslash*' }
            @{ Path = '/admin%5Csecret'; Why = '*backslash*' }
            @{ Path = '/%2e%2e/admin/secret'; Why = "*encoded '.' or '..' segment*" }
            @{ Path = '/admin./secret'; Why = "*ends with '.'*" }
            @{ Path = '/%C0%AFadmin'; Why = '*not valid UTF-8*' }
        ) {
            { Test-CasbAccess -StorePath $store -Uri "https://wiki.contoso.local$Path" -UserAgent $edge } |
                Should -Throw -ErrorId 'RequestPathAmbiguous,CasbModule.Cmdlets.TestCasbAccessCommand' -ExpectedMessage $Why
        }
    }

    It 'refuses an IP address that does not parse' {
        { Test-CasbAccess -StorePath $store -App 'Azure Portal' -IPAddress '10.0.0.300' } |
            Should -Throw -ErrorId 'InvalidIPAddress,CasbModule.Cmdlets.TestCasbAccessCommand'
    }
}
