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
}
