# Copy-CasbStore between a folder and a PostgreSQL database (a throwaway cluster, PostgresCluster.ps1).
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    . (Join-Path $PSScriptRoot 'PostgresCluster.ps1')
    $cluster = Start-TestPostgres
    $env:CASB_STATE_DIRECTORY = Join-Path $TestDrive 'state'

    function New-FolderStore([string] $Name) {
        $store = Join-Path $TestDrive $Name
        Add-CasbApp -StorePath $store -Name 'Contoso CRM' -Upstream 'http://127.0.0.1:9' -Hostname 'crm.contoso.local'
        New-CasbGroup -StorePath $store -Name 'Vendors' -Member 'vendor@fabrikam.com' | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'Vendors read only' -App 'Contoso CRM' -Group 'Vendors' -Action Block -BlockMessage 'Vendors are blocked.' | Out-Null
        $store
    }

    # A shared blob put in a folder store as a gateway would have left it (the name is the path under the folder).
    function Set-FolderBlob([string] $Store, [string] $Name, [string] $Content) {
        $file = Join-Path $Store $Name
        New-Item -ItemType Directory -Path (Split-Path $file) -Force | Out-Null
        [IO.File]::WriteAllText($file, $Content)
    }

    function Set-DatabaseBlob([string] $Database, [string] $Name, [string] $Content) {
        Invoke-TestPostgresSql $cluster $Database "insert into casb.blobs (name, content) values ('$Name', convert_to('$Content', 'UTF8')) on conflict (name) do update set content = excluded.content" | Out-Null
    }

    # Every blob of a database store as 'name=content', in name order.
    function Get-DatabaseBlobs([string] $Database) {
        @((Invoke-TestPostgresSql $cluster $Database "select name || '=' || convert_from(content, 'UTF8') from casb.blobs order by name collate ""C""") -split "`n" | Where-Object { $_ })
    }

    # Every file under a folder store but casb.json, its lock and temporary files, as 'relative/path=content'.
    function Get-FolderFiles([string] $Store) {
        @(Get-ChildItem $Store -Recurse -File -Force | Where-Object { $_.Name -notin 'casb.json', 'casb.json.lock' } | ForEach-Object {
            "$([IO.Path]::GetRelativePath($Store, $_.FullName).Replace('\', '/'))=$([IO.File]::ReadAllText($_.FullName))"
        } | Sort-Object -CaseSensitive)
    }

    function Invoke-ChildPwsh([string] $Command) {
        $pwsh = (Get-Process -Id $PID).Path
        # Under 'dotnet pwsh' this process is dotnet itself: start the child the same way.
        [string[]] $prefix = @()
        if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -ne 'pwsh') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }
        # One string without line breaks: the host may wrap a long what-if line at its width.
        (& $pwsh @prefix -NoProfile -NonInteractive -Command "Import-Module '$env:CASB_MODULE_MANIFEST'; $Command" 2>&1 | Out-String) -replace '\r?\n', ''
    }
}

AfterAll {
    Stop-TestPostgres $cluster
    Remove-Item Env:CASB_STATE_DIRECTORY -ErrorAction SilentlyContinue
}

Describe 'Copy-CasbStore' {
    It 'moves a folder store into an empty database and back, and every cmdlet reads the same configuration there' {
        $folder = New-FolderStore 'source'
        $database = New-TestPostgresDatabase $cluster -Prefix 'copy'
        $back = Join-Path $TestDrive 'back'

        $copy = Copy-CasbStore -From $folder -To $database -PassThru
        Copy-CasbStore -From $database -To $back

        $copy.From | Should -Be $folder
        $copy.To | Should -Be $database
        $copy.SourceRevision | Should -Be 3
        $copy.Revision | Should -Be 1
        (Get-CasbApp -StorePath $database).Name | Should -Be 'Contoso CRM'
        (Get-CasbGroup -StorePath $database -Name 'Vendors').Members | Should -Be 'vendor@fabrikam.com'
        (Get-CasbAccessPolicy -StorePath $database).Name | Should -Be 'Vendors read only'
        (Get-CasbAccessPolicy -StorePath $back).BlockMessage | Should -Be 'Vendors are blocked.'
        (Test-CasbAccess -StorePath $database -Uri 'https://crm.contoso.local/' -User 'vendor@fabrikam.com').Action |
            Should -Be (Test-CasbAccess -StorePath $folder -Uri 'https://crm.contoso.local/' -User 'vendor@fabrikam.com').Action
        Invoke-TestPostgresSql $cluster $database 'select revision from casb.configuration' | Should -Be '1'
    }

    It 'refuses a target that is not empty with StoreCopyTargetNotEmpty and leaves it as it was' {
        $folder = New-FolderStore 'source-not-empty'
        $database = New-TestPostgresDatabase $cluster -Prefix 'copy'
        New-CasbGroup -StorePath $database -Name 'Already there' | Out-Null

        { Copy-CasbStore -From $folder -To $database } | Should -Throw -ErrorId 'StoreCopyTargetNotEmpty,CasbModule.Cmdlets.CopyCasbStoreCommand'
        (Get-CasbGroup -StorePath $database).Name | Should -Be 'Already there'
    }

    It 'replaces the target''s configuration with -Force as a newer revision' {
        $folder = New-FolderStore 'source-force'
        $database = New-TestPostgresDatabase $cluster -Prefix 'copy'
        New-CasbGroup -StorePath $database -Name 'Replaced' | Out-Null

        $copy = Copy-CasbStore -From $folder -To $database -Force -PassThru

        $copy.Revision | Should -Be 2
        (Get-CasbGroup -StorePath $database).Name | Should -Be 'Vendors'
    }

    It 'with -Force makes a database target exactly the folder source: -WhatIf lists each change, the copy deletes the blobs only the target had' {
        $folder = New-FolderStore 'source-exact'
        Set-FolderBlob $folder 'gateway/server.pfx' 'source certificate'
        Set-FolderBlob $folder 'keys/key-source.xml' '<key id="source"/>'
        $database = New-TestPostgresDatabase $cluster -Prefix 'copy'
        New-CasbGroup -StorePath $database -Name 'Replaced' | Out-Null
        Set-DatabaseBlob $database 'gateway/server.pfx' 'target certificate'
        Set-DatabaseBlob $database 'keys/key-target.xml' '<key id="target"/>'
        Set-DatabaseBlob $database 'key-claims/1' 'gw-1'
        $before = Get-DatabaseBlobs $database

        $whatIf = Invoke-ChildPwsh "Copy-CasbStore -From '$folder' -To '$database' -Force -WhatIf"
        { Copy-CasbStore -From $folder -To $database } |
            Should -Throw -ErrorId 'StoreCopyTargetNotEmpty,CasbModule.Cmdlets.CopyCasbStoreCommand' -ExpectedMessage '*remove blob(s) key-claims/1, keys/key-target.xml*'
        $afterRefusals = Get-DatabaseBlobs $database
        $copy = Copy-CasbStore -From $folder -To $database -Force -PassThru

        $whatIf | Should -Match 'What if: .*replace configuration revision 1 with revision 3'
        $whatIf | Should -Match 'add blob\(s\) keys/key-source\.xml'
        $whatIf | Should -Match 'replace blob\(s\) gateway/server\.pfx'
        $whatIf | Should -Match 'remove blob\(s\) key-claims/1, keys/key-target\.xml'
        $afterRefusals | Should -Be $before
        $copy.RemovedBlobs | Should -Be @('key-claims/1', 'keys/key-target.xml')
        $copy.Blobs | Should -Be @('gateway/server.pfx', 'keys/key-source.xml')
        Get-DatabaseBlobs $database | Should -Be @('gateway/server.pfx=source certificate', 'keys/key-source.xml=<key id="source"/>')
        (Get-CasbGroup -StorePath $database).Name | Should -Be 'Vendors'
        $copy.Revision | Should -Be 2
    }

    It 'with -Force makes a folder target exactly the database source, and leaves no temporary file behind' {
        $database = New-TestPostgresDatabase $cluster -Prefix 'copy'
        New-CasbGroup -StorePath $database -Name 'From the database' -Member 'admin@contoso.com' | Out-Null
        Set-DatabaseBlob $database 'gateway/server.pfx' 'database certificate'
        Set-DatabaseBlob $database 'keys/key-db.xml' '<key id="db"/>'
        Set-DatabaseBlob $database 'key-claims/0' 'gw-0'
        $folder = New-FolderStore 'target-exact'
        Set-FolderBlob $folder 'gateway/server.pfx' 'folder certificate'
        Set-FolderBlob $folder 'keys/key-old.xml' '<key id="old"/>'
        Set-FolderBlob $folder 'keys/key-db.xml' '<key id="db"/>'

        $copy = Copy-CasbStore -From $database -To $folder -Force -PassThru

        $copy.RemovedBlobs | Should -Be @('keys/key-old.xml')
        Get-FolderFiles $folder | Should -Be @('gateway/server.pfx=database certificate', 'key-claims/0=gw-0', 'keys/key-db.xml=<key id="db"/>')
        (Get-CasbGroup -StorePath $folder).Name | Should -Be 'From the database'
        (Get-CasbApp -StorePath $folder) | Should -BeNullOrEmpty
        $copy.Revision | Should -Be 4
        # And back: the database, copied over from the folder, is the same again.
        Copy-CasbStore -From $folder -To $database -Force
        Get-DatabaseBlobs $database | Should -Be @('gateway/server.pfx=database certificate', 'key-claims/0=gw-0', 'keys/key-db.xml=<key id="db"/>')
    }

    It 'writes nothing with -WhatIf' {
        $folder = New-FolderStore 'source-whatif'
        $database = New-TestPostgresDatabase $cluster -Prefix 'copy'

        Copy-CasbStore -From $folder -To $database -WhatIf

        Get-CasbApp -StorePath $database | Should -BeNullOrEmpty
        Invoke-TestPostgresSql $cluster $database 'select count(*) from casb.configuration' | Should -Be '0'
    }

    It 'refuses a corrupt target even with -Force (StoreCorrupt) and leaves it untouched' {
        $folder = New-FolderStore 'source-corrupt'
        $target = Join-Path $TestDrive 'corrupt-target'
        New-Item -ItemType Directory -Path $target | Out-Null
        Set-Content -Path (Join-Path $target 'casb.json') -Value '{ "schemaVersion": 1, "revision": 4, "apps": [' -NoNewline

        { Copy-CasbStore -From $folder -To $target -Force } | Should -Throw -ErrorId 'StoreCorrupt,CasbModule.Cmdlets.CopyCasbStoreCommand'
        Get-Content (Join-Path $target 'casb.json') -Raw | Should -Be '{ "schemaVersion": 1, "revision": 4, "apps": ['
    }

    It 'refuses a URI with a password (StoreUriHasPassword) without showing it' {
        $folder = New-FolderStore 'source-password'

        $error.Clear()
        { Copy-CasbStore -From $folder -To "postgresql://postgres:Hunter2Secret@127.0.0.1:$($cluster.Port)/postgres" } |
            Should -Throw -ErrorId 'StoreUriHasPassword,CasbModule.Cmdlets.CopyCasbStoreCommand'
        "$($error[0])" | Should -Not -Match 'Hunter2Secret'
    }

    It 'refuses an empty source (StoreCopySourceEmpty) and the same store on both sides (StoreCopySameStore)' {
        $folder = New-FolderStore 'source-same'

        { Copy-CasbStore -From (Join-Path $TestDrive 'nothing-here') -To (Join-Path $TestDrive 'target-empty') } |
            Should -Throw -ErrorId 'StoreCopySourceEmpty,CasbModule.Cmdlets.CopyCasbStoreCommand'
        { Copy-CasbStore -From $folder -To $folder -Force } | Should -Throw -ErrorId 'StoreCopySameStore,CasbModule.Cmdlets.CopyCasbStoreCommand'
    }

    It 'refuses the same folder named another way (<Spelling>) with StoreCopySameStore, and leaves its revision as it was' -TestCases @(
        @{ Spelling = 'trailing separator' }
        @{ Spelling = 'through ..' }
        @{ Spelling = 'relative to the location' }
    ) {
        $folder = New-FolderStore "same-$($Spelling -replace '\W', '')"
        $before = (Get-CasbGatewaySetting -StorePath $folder).Revision
        $other = switch ($Spelling) {
            'trailing separator' { $folder + [IO.Path]::DirectorySeparatorChar }
            'through ..' { Join-Path $folder '..' (Split-Path $folder -Leaf) }
            'relative to the location' { Push-Location (Split-Path $folder -Parent); Join-Path '.' (Split-Path $folder -Leaf) }
        }
        try {
            { Copy-CasbStore -From $folder -To $other -Force -Confirm:$false } | Should -Throw -ErrorId 'StoreCopySameStore,CasbModule.Cmdlets.CopyCasbStoreCommand'
            { Copy-CasbStore -From $other -To $folder -Force -Confirm:$false } | Should -Throw -ErrorId 'StoreCopySameStore,CasbModule.Cmdlets.CopyCasbStoreCommand'
        }
        finally {
            if ($Spelling -eq 'relative to the location') { Pop-Location }
        }
        (Get-CasbGatewaySetting -StorePath $folder).Revision | Should -Be $before
    }
}
