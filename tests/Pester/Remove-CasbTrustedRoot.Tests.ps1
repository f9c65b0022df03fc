BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    $pki = [CasbCore.Certificates.LabPki]::Create()
}

AfterAll {
    $pki.Dispose()
}

Describe 'Remove-CasbTrustedRoot' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid())
        $null = $pki.Root, $pki.Intermediate, $pki.UntrustedRoot | Add-CasbTrustedRoot -StorePath $store
    }

    It 'removes a CA by thumbprint in any case' {
        Remove-CasbTrustedRoot $pki.Intermediate.Thumbprint.ToLowerInvariant() -StorePath $store -Confirm:$false

        (Get-CasbTrustedRoot -StorePath $store).Thumbprint | Should -Be @($pki.Root.Thumbprint, $pki.UntrustedRoot.Thumbprint)
        (Get-CasbGatewaySetting -StorePath $store).Revision | Should -Be 4
    }

    It 'takes the CAs from Get-CasbTrustedRoot through the pipeline and returns them with -PassThru' {
        $removed = Get-CasbTrustedRoot -Subject '*Casb Lab*' -StorePath $store | Remove-CasbTrustedRoot -StorePath $store -Confirm:$false -PassThru

        $removed.Thumbprint | Should -Be @($pki.Root.Thumbprint, $pki.Intermediate.Thumbprint)
        (Get-CasbTrustedRoot -StorePath $store).Thumbprint | Should -Be @($pki.UntrustedRoot.Thumbprint)
    }

    It 'removes a piped CA from the store it was read from, not from the default store' {
        # The default store ($env:CASB_STORE) trusts the same CA: it must keep trusting it.
        $default = Join-Path $TestDrive ([guid]::NewGuid())
        $null = $pki.Root | Add-CasbTrustedRoot -StorePath $default
        $saved = $env:CASB_STORE
        $env:CASB_STORE = $default
        try {
            Get-CasbTrustedRoot -StorePath $store -Thumbprint $pki.Root.Thumbprint | Remove-CasbTrustedRoot -Confirm:$false -ErrorAction Stop
        }
        finally {
            $env:CASB_STORE = $saved
        }

        (Get-CasbTrustedRoot -StorePath $store).Thumbprint | Should -Be @($pki.Intermediate.Thumbprint, $pki.UntrustedRoot.Thumbprint)
        (Get-CasbTrustedRoot -StorePath $default).Thumbprint | Should -Be @($pki.Root.Thumbprint)
    }

    It 'removes the CRLs the removed CA issued, and only those' {
        $crls = Join-Path $TestDrive ([guid]::NewGuid())
        New-Item -ItemType Directory -Path $crls | Out-Null
        [IO.File]::WriteAllBytes((Join-Path $crls 'intermediate.crl'), $pki.IntermediateCrl)
        [IO.File]::WriteAllBytes((Join-Path $crls 'root.crl'), $pki.RootCrl)
        Add-CasbCertificateRevocationList -Path (Join-Path $crls '*.crl') -StorePath $store

        Remove-CasbTrustedRoot $pki.Intermediate.Thumbprint -StorePath $store -Confirm:$false

        (Get-CasbCertificateRevocationList -StorePath $store).Issuer | Should -Be @($pki.Root.Subject)
    }

    It 'returns nothing without -PassThru' {
        Remove-CasbTrustedRoot $pki.Root.Thumbprint -StorePath $store -Confirm:$false | Should -BeNullOrEmpty
    }

    It 'removes nothing with -WhatIf' {
        $before = [IO.File]::ReadAllBytes((Join-Path $store 'casb.json'))

        Remove-CasbTrustedRoot $pki.Root.Thumbprint -StorePath $store -WhatIf

        [IO.File]::ReadAllBytes((Join-Path $store 'casb.json')) | Should -Be $before
    }

    It 'has ConfirmImpact High, so it asks before removing' {
        $command = Get-Command Remove-CasbTrustedRoot
        $command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact |
            Should -Be 'High'
    }

    It 'reports an unknown thumbprint as TrustedRootNotFound and still removes the others' {
        Remove-CasbTrustedRoot 'ABCDEF0123', $pki.Root.Thumbprint -StorePath $store -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errors

        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'TrustedRootNotFound,CasbModule.Cmdlets.RemoveCasbTrustedRootCommand'
        (Get-CasbTrustedRoot -StorePath $store).Thumbprint | Should -Not -Contain $pki.Root.Thumbprint
    }

    It 'completes thumbprints by subject text too' {
        $line = "Remove-CasbTrustedRoot -StorePath '$store' -Thumbprint *Untrusted"
        $completion = TabExpansion2 -inputScript $line -cursorColumn $line.Length

        $completion.CompletionMatches.CompletionText | Should -Be @($pki.UntrustedRoot.Thumbprint)
    }

    It 'has help with a synopsis, a description, examples and documented parameters' {
        $help = Get-Help Remove-CasbTrustedRoot -Full

        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '^\s*Remove-CasbTrustedRoot'
        $help.description.Text | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        foreach ($parameter in $help.parameters.parameter) {
            $parameter.description.Text | Should -Not -BeNullOrEmpty -Because "-$($parameter.name) needs a description"
        }
    }
}
