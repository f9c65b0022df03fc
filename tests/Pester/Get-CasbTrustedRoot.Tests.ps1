BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    $pki = [CasbCore.Certificates.LabPki]::Create()
    $store = Join-Path $TestDrive 'store'
    $null = $pki.Root, $pki.Intermediate, $pki.UntrustedRoot | Add-CasbTrustedRoot -StorePath $store
}

AfterAll {
    $pki.Dispose()
}

Describe 'Get-CasbTrustedRoot' {
    It 'lists every trusted CA in the order they were added' {
        $result = Get-CasbTrustedRoot -StorePath $store

        $result.Thumbprint | Should -Be @($pki.Root.Thumbprint, $pki.Intermediate.Thumbprint, $pki.UntrustedRoot.Thumbprint)
        $result[0] | Should -BeOfType 'CasbModule.Types.CasbTrustedRoot'
        $result[0].StorePath | Should -Be $store
    }

    It 'returns nothing, without error, from an empty store' {
        Get-CasbTrustedRoot -StorePath (Join-Path $TestDrive 'empty') -ErrorVariable errors | Should -BeNullOrEmpty
        $errors | Should -HaveCount 0
    }

    It 'finds a thumbprint in any case and with separators' {
        $lower = $pki.Intermediate.Thumbprint.ToLowerInvariant()

        (Get-CasbTrustedRoot $lower -StorePath $store).Thumbprint | Should -Be $pki.Intermediate.Thumbprint
        $spaced = ($pki.Root.Thumbprint -split '(..)' -ne '') -join ' '
        (Get-CasbTrustedRoot -Thumbprint $spaced -StorePath $store).Thumbprint | Should -Be $pki.Root.Thumbprint
    }

    It 'matches thumbprint wildcards' {
        $prefix = $pki.Root.Thumbprint.Substring(0, 6)

        (Get-CasbTrustedRoot -Thumbprint "$prefix*" -StorePath $store).Thumbprint | Should -Contain $pki.Root.Thumbprint
    }

    It 'filters by subject wildcard and by kind' {
        (Get-CasbTrustedRoot -Subject '*Casb Lab*' -StorePath $store) | Should -HaveCount 2
        (Get-CasbTrustedRoot -Subject '*casb lab*' -Kind Root -StorePath $store).Thumbprint | Should -Be $pki.Root.Thumbprint
        (Get-CasbTrustedRoot -Kind Intermediate -StorePath $store).Thumbprint | Should -Be $pki.Intermediate.Thumbprint
    }

    It 'reports a thumbprint that matches nothing as TrustedRootNotFound and goes on with the others' {
        $result = Get-CasbTrustedRoot -Thumbprint 'ABCDEF', $pki.Root.Thumbprint -StorePath $store -ErrorAction SilentlyContinue -ErrorVariable errors

        $result.Thumbprint | Should -Be $pki.Root.Thumbprint
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'TrustedRootNotFound,CasbModule.Cmdlets.GetCasbTrustedRootCommand'
        $errors[0].TargetObject | Should -Be 'ABCDEF'
    }

    It 'does not report a wildcard that matches nothing' {
        Get-CasbTrustedRoot -Thumbprint 'FFFFFFFF*' -StorePath $store -ErrorVariable errors | Should -BeNullOrEmpty
        $errors | Should -HaveCount 0
    }

    It 'gives back the stored certificate' {
        $certificate = (Get-CasbTrustedRoot $pki.Root.Thumbprint -StorePath $store).GetCertificate()

        $certificate.RawData | Should -Be $pki.Root.RawData
    }

    It 'completes thumbprints from the store named by -StorePath' {
        $line = "Get-CasbTrustedRoot -StorePath '$store' -Thumbprint $($pki.Intermediate.Thumbprint.Substring(0, 8).ToLowerInvariant())"
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length

        $completion.CompletionMatches.CompletionText | Should -Be @($pki.Intermediate.Thumbprint)
    }

    It 'completes thumbprints from a -StorePath relative to the current location' {
        Push-Location (Split-Path $store)
        try {
            $line = "Get-CasbTrustedRoot -StorePath $(Split-Path $store -Leaf) -Thumbprint $($pki.Root.Thumbprint.Substring(0, 8))"
            $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        }
        finally { Pop-Location }

        $completion.CompletionMatches.CompletionText | Should -Be @($pki.Root.Thumbprint)
    }

    It 'shows a table of thumbprint, kind, expiry and subject by default' {
        $text = Get-CasbTrustedRoot -StorePath $store | Out-String -Width 200

        $text | Should -Match 'Thumbprint\s+Kind\s+NotAfter\s+Subject'
        $text | Should -Match ([regex]::Escape($pki.Intermediate.Thumbprint) + '\s+Intermediate\s+\d{4}-\d{2}-\d{2}\s+CN=Casb Lab Issuing CA')
    }

    It 'has help with a synopsis, a description, examples and documented parameters' {
        $help = Get-Help Get-CasbTrustedRoot -Full

        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '^\s*Get-CasbTrustedRoot'
        $help.description.Text | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        foreach ($parameter in $help.parameters.parameter) {
            $parameter.description.Text | Should -Not -BeNullOrEmpty -Because "-$($parameter.name) needs a description"
        }
    }
}
