BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    $outlook = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)'

    # One what-if call with its -Verbose lines captured next to the decision.
    function Invoke-WhatIf([string] $Store) {
        $output = Test-CasbAccess -StorePath $Store -App 'Azure Portal' -UserAgent $outlook -Verbose 4>&1
        [pscustomobject]@{
            Decision = $output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
            Verbose  = ($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        }
    }
}

Describe 'Test-CasbAccess keeps the compiled engine of an unchanged store' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        Add-CasbApp -StorePath $store -Name 'Azure Portal' -Upstream 'http://127.0.0.1:8080' -Hostname 'azure.contoso.local'
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'Everyone via App Control' -IncludeUser All -SessionControl AppControl | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Require certificate' -App 'Azure Portal' -DeviceTag 'Valid client certificate' -DeviceTagOperator DoesNotEqual -Action Block | Out-Null
        $file = Join-Path $store 'casb.json'
        $revision = (Get-Content $file -Raw | ConvertFrom-Json).revision
    }

    It 'compiles the engine once for 200 calls, and says which revision it used' {
        $runs = 1..200 | ForEach-Object { Invoke-WhatIf $store }

        $runs[0].Verbose | Should -Be "Compiled the engine for revision $revision of the store '$store'."
        @($runs.Verbose | Where-Object { $_ -like 'Compiled the engine *' }).Count | Should -Be 1
        @($runs.Verbose | Where-Object { $_ -eq "Using the cached engine for revision $revision of the store '$store'." }).Count | Should -Be 199
        @($runs.Decision.Action | Sort-Object -Unique) | Should -Be @('Allow')
    }

    It 'sees a change made by a cmdlet on the very next call' {
        (Invoke-WhatIf $store).Decision.Action | Should -Be 'Allow'
        (Invoke-WhatIf $store).Verbose | Should -BeLike 'Using the cached engine *'

        Set-CasbGatewaySetting -StorePath $store -DefaultAction Block
        $next = Invoke-WhatIf $store

        $next.Verbose | Should -Be "Compiled the engine for revision $($revision + 1) of the store '$store'."
        $next.Decision.Action | Should -Be 'Block'
        $next.Decision.BlockMessage | Should -Be 'Access to Azure Portal is not allowed by default.'
    }

    It 'sees a hand edit of casb.json that keeps its length, revision and write time on the very next call' {
        (Invoke-WhatIf $store).Decision.Action | Should -Be 'Allow'
        $length, $written = (Get-Item $file).Length, (Get-Item $file).LastWriteTimeUtc
        $json = [IO.File]::ReadAllText($file)
        $json | Should -Match '"defaultAction": "Allow"'

        [IO.File]::WriteAllText($file, $json.Replace('"defaultAction": "Allow"', '"defaultAction": "Block"'))
        (Get-Item $file).LastWriteTimeUtc = $written
        $next = Invoke-WhatIf $store

        (Get-Item $file).Length | Should -Be $length
        (Get-Item $file).LastWriteTimeUtc | Should -Be $written
        $next.Verbose | Should -Be "Compiled the engine for revision $revision of the store '$store'."
        $next.Decision.Revision | Should -Be $revision
        $next.Decision.Action | Should -Be 'Block'
    }

    It 'refuses a store broken by hand on the next call, and uses the repaired one after' {
        (Invoke-WhatIf $store).Decision.Action | Should -Be 'Allow'
        $good = [IO.File]::ReadAllBytes($file)

        [IO.File]::WriteAllText($file, '{ not json')
        { Test-CasbAccess -StorePath $store -App 'Azure Portal' } | Should -Throw -ErrorId 'StoreCorrupt,CasbModule.Cmdlets.TestCasbAccessCommand'
        [IO.File]::WriteAllBytes($file, $good)

        (Invoke-WhatIf $store).Decision.Action | Should -Be 'Allow'
    }
}
