BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    function New-Line([datetime] $Time, [string] $Id, [string] $App, [string] $User, [string] $Action, [int] $Status) {
        [ordered]@{
            time = $Time.ToUniversalTime().ToString('o'); correlationId = $Id; app = $App; user = $User
            action = $Action; httpStatus = $Status; path = '/'; deviceTags = @(); matchedPolicies = @(); conditionalAccess = @()
        } | ConvertTo-Json -Compress
    }
}

Describe 'Get-CasbActivity' {
    BeforeAll {
        $store = Join-Path $TestDrive 'store'
        $activity = Join-Path $store 'activity'
        New-Item -ItemType Directory -Path $activity | Out-Null
        $today = [datetime]::UtcNow.Date.AddHours(12)
        $yesterday = $today.AddDays(-1)
        Set-Content -Path (Join-Path $activity "activity-$($yesterday.ToString('yyyyMMdd')).jsonl") -Value @(
            New-Line $yesterday.AddMinutes(1) 'y1' 'Microsoft Online Services' 'vendor@contoso.com' 'Allow' 200
            New-Line $yesterday.AddMinutes(2) 'y2' 'Salesforce' 'alice@contoso.com' 'Block' 403
        )
        # The gateway may be writing the last line right now: a torn line is skipped.
        Set-Content -Path (Join-Path $activity "activity-$($today.ToString('yyyyMMdd')).jsonl") -NoNewline -Value (@(
            New-Line $today.AddMinutes(1) 't1' 'Microsoft Online Services' 'alice@contoso.com' 'Block' 403
            New-Line $today.AddMinutes(2) 't2' 'Microsoft Online Services' 'vendor@contoso.com' 'Monitor' 200
            '{"time":"2026-'
        ) -join "`n")
    }

    It 'returns typed records, newest first, across daily files' {
        $records = Get-CasbActivity -StorePath $store

        $records.CorrelationId | Should -Be @('t2', 't1', 'y2', 'y1')
        $records[0] | Should -BeOfType 'CasbModule.Types.CasbActivity'
        $records[0].HttpStatus | Should -Be 200
    }

    It 'filters by app and user wildcards and by action' {
        (Get-CasbActivity -StorePath $store -App 'microsoft*' -User 'alice*').CorrelationId | Should -Be 't1'
        (Get-CasbActivity -StorePath $store -Action Block).CorrelationId | Should -Be @('t1', 'y2')
        (Get-CasbActivity -StorePath $store -Action Allow, Monitor).CorrelationId | Should -Be @('t2', 'y1')
    }

    It 'filters by time and correlation id and stops at -First' {
        (Get-CasbActivity -StorePath $store -After $today.ToLocalTime()).CorrelationId | Should -Be @('t2', 't1')
        (Get-CasbActivity -StorePath $store -Before $today.ToLocalTime()).CorrelationId | Should -Be @('y2', 'y1')
        (Get-CasbActivity -StorePath $store -CorrelationId 'Y2').App | Should -Be 'Salesforce'
        (Get-CasbActivity -StorePath $store -First 3).CorrelationId | Should -Be @('t2', 't1', 'y2')
    }

    It 'returns nothing for a store without activity' {
        Get-CasbActivity -StorePath (Join-Path $TestDrive 'empty') | Should -BeNullOrEmpty
    }
}

Describe 'Get-CasbActivity with sign-in events' {
    BeforeAll {
        $store = Join-Path $TestDrive 'signin-store'
        $activity = Join-Path $store 'activity'
        New-Item -ItemType Directory -Path $activity | Out-Null
        $now = [datetime]::UtcNow.Date.AddHours(12)
        Set-Content -Path (Join-Path $activity "activity-$($now.ToString('yyyyMMdd')).jsonl") -Value @(
            New-Line $now.AddMinutes(1) 'r1' 'Vendor Portal' 'vendor@fabrikam.com' 'Block' 403
            (@{ time = $now.AddMinutes(2).ToString('o'); correlationId = 's1'; kind = 'SignIn'; outcome = 'Success'; user = 'vendor@fabrikam.com'
                userSource = 'SignIn'; identityProvider = 'Entra ID'; groupCount = 3; app = 'Vendor Portal'; action = ''; httpStatus = 302 } | ConvertTo-Json -Compress)
            (@{ time = $now.AddMinutes(3).ToString('o'); correlationId = 's2'; kind = 'SignIn'; outcome = 'Failure'; failureReason = 'sign_in_state_invalid'
                identityProvider = 'Entra ID'; app = 'Vendor Portal'; action = ''; httpStatus = 400 } | ConvertTo-Json -Compress)
            (@{ time = $now.AddMinutes(4).ToString('o'); correlationId = 'o1'; kind = 'SignOut'; outcome = 'Success'; user = 'vendor@fabrikam.com'
                app = 'Vendor Portal'; action = ''; httpStatus = 302 } | ConvertTo-Json -Compress)
        )
    }

    It 'filters by kind; a decision record is of kind Request' {
        (Get-CasbActivity -StorePath $store -Kind SignIn).CorrelationId | Should -Be @('s2', 's1')
        (Get-CasbActivity -StorePath $store -Kind SignOut, Request).CorrelationId | Should -Be @('o1', 'r1')
        (Get-CasbActivity -StorePath $store -CorrelationId r1).Kind | Should -Be 'Request'
        (Get-CasbActivity -StorePath $store -Action Block).CorrelationId | Should -Be 'r1'
    }

    It 'shows the outcome, the reason, the groups and the identity provider of a sign-in' {
        $failed, $succeeded = Get-CasbActivity -StorePath $store -Kind SignIn
        $failed.Outcome | Should -Be 'Failure'
        $failed.FailureReason | Should -Be 'sign_in_state_invalid'
        $succeeded.GroupCount | Should -Be 3
        $succeeded.IdentityProvider | Should -Be 'Entra ID'
        ($succeeded | Format-Table | Out-String -Width 400) | Should -Match 'SignIn Success'
        ($failed | Format-Table | Out-String -Width 400) | Should -Match 'sign_in_state_invalid'
    }

    It 'refuses a kind it does not know' {
        { Get-CasbActivity -StorePath $store -Kind Login } | Should -Throw -ErrorId 'ParameterArgumentValidationError,CasbModule.Cmdlets.GetCasbActivityCommand'
    }
}
