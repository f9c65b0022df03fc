# The throwaway cluster the PostgreSQL store tests run on (PostgresCluster.ps1).
BeforeAll {
    . (Join-Path $PSScriptRoot 'PostgresCluster.ps1')
    $script:cluster = Start-TestPostgres
}

AfterAll {
    Stop-TestPostgres $script:cluster
}

Describe 'The throwaway PostgreSQL cluster' {
    It 'serves a new database on loopback to the superuser with the password' {
        $uri = New-TestPostgresDatabase $script:cluster -Prefix 'pester'
        $uri | Should -Match "^postgresql://postgres@127\.0\.0\.1:$($script:cluster.Port)/pester_[0-9a-f]{8}$"
        Invoke-TestPostgresSql $script:cluster $uri 'select current_user' | Should -Be 'postgres'
        Get-Content (Join-Path $script:cluster.DataDirectory 'pg_hba.conf') -Raw | Should -Match 'scram-sha-256'
    }
}
