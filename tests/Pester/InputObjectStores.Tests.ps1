# An -InputObject array may hold objects read from several stores: (Get-CasbGroup -StorePath ./lab) + (Get-CasbGroup
# -StorePath ./prod). Each object is changed in the store it was read from, never in the first object's store (where
# an item of the same name would be changed or removed in its place). Generated over every store-changing cmdlet that
# takes -InputObject.
BeforeDiscovery {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    $script:changers = Get-Command -Module CasbModule |
        Where-Object { $_.Parameters['InputObject'] -and $_.Parameters.ContainsKey('WhatIf') -and $_.Name -ne 'Stop-CasbGateway' } |
        ForEach-Object { @{ Name = $_.Name; Type = $_.Parameters['InputObject'].ParameterType.Name -replace '\[\]$' } }
}

BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force
    $lab = Join-Path $TestDrive 'lab'
    New-CasbSampleCertificate -OutputPath $lab | Out-Null

    # Both stores hold two items of every kind, the same in each: 'One' and 'Two' (for CAs and CRLs, the root's and the issuing CA's).
    function New-PairStore([string] $Store) {
        Add-CasbTrustedRoot -StorePath $Store -Path (Join-Path $lab 'root-ca.pem'), (Join-Path $lab 'intermediate-ca.pem') | Out-Null
        Add-CasbCertificateRevocationList -StorePath $Store -Path (Join-Path $lab 'root-ca.crl'), (Join-Path $lab 'intermediate-ca.crl') | Out-Null
        foreach ($name in 'One', 'Two') {
            Add-CasbApp -StorePath $Store -Name $name -Upstream 'http://127.0.0.1:8080' -Hostname "$name.contoso.local".ToLowerInvariant()
            New-CasbGroup -StorePath $Store -Name $name -Member 'user@contoso.com' | Out-Null
            New-CasbConditionalAccessPolicy -StorePath $Store -Name $name -IncludeUser All -App $name -SessionControl AppControl | Out-Null
            New-CasbAccessPolicy -StorePath $Store -Name $name -App $name -DeviceTag 'Valid client certificate' -Action Block | Out-Null
            New-CasbSessionPolicy -StorePath $Store -Name $name -ControlType MonitorOnly | Out-Null
        }
    }

    # Per InputObject type: how to read the items of a store, and which one is 'One' or 'Two'.
    $kinds = @{
        CasbApp                       = @{ Get = { param($s) Get-CasbApp -StorePath $s }; Key = { $_.Name } }
        CasbGroup                     = @{ Get = { param($s) Get-CasbGroup -StorePath $s }; Key = { $_.Name } }
        CasbAccessPolicy              = @{ Get = { param($s) Get-CasbAccessPolicy -StorePath $s }; Key = { $_.Name } }
        CasbSessionPolicy             = @{ Get = { param($s) Get-CasbSessionPolicy -StorePath $s }; Key = { $_.Name } }
        CasbConditionalAccessPolicy   = @{ Get = { param($s) Get-CasbConditionalAccessPolicy -StorePath $s }; Key = { $_.Name } }
        CasbTrustedRoot               = @{ Get = { param($s) Get-CasbTrustedRoot -StorePath $s }; Key = { if ($_.Subject -like '*Root CA*') { 'One' } else { 'Two' } } }
        CasbCertificateRevocationList = @{ Get = { param($s) Get-CasbCertificateRevocationList -StorePath $s }; Key = { if ($_.Issuer -like '*Root CA*') { 'One' } else { 'Two' } } }
    }

    # What each cmdlet is asked to do (beyond -InputObject), and what to do to the stores first so that it changes something.
    $arguments = @{
        'Add-CasbGroupMember'                  = @{ Member = 'added@contoso.com' }
        'Remove-CasbGroupMember'               = @{ Member = 'user@contoso.com' }
        'Set-CasbApp'                          = @{ PathPrefix = '/changed' }
        'Remove-CasbApp'                       = @{ Force = $true; Confirm = $false }
        'Set-CasbAccessPolicy'                 = @{ Description = 'changed' }
        'Set-CasbSessionPolicy'                = @{ Description = 'changed' }
        'Set-CasbConditionalAccessPolicy'      = @{ State = 'Off' }
        'Remove-CasbTrustedRoot'               = @{ Confirm = $false }
        'Remove-CasbCertificateRevocationList' = @{ Confirm = $false }
    }
    $prepare = @{
        'Enable-CasbAccessPolicy'  = { param($s) Disable-CasbAccessPolicy -StorePath $s -Name * }
        'Enable-CasbSessionPolicy' = { param($s) Disable-CasbSessionPolicy -StorePath $s -Name * }
    }

    function Get-Fingerprint($Kind, [string] $Store, [string] $Key) {
        $item = & $Kind.Get $Store | Where-Object { ($_ | ForEach-Object $Kind.Key) -eq $Key }
        if ($item) { $item | ConvertTo-Json -Depth 4 -Compress } else { '<gone>' }
    }
}

Describe 'An -InputObject array of objects from two stores' {
    It '<Name> changes each object in its own store' -ForEach $changers {
        $kind = $kinds[$Type]
        $kind | Should -Not -BeNullOrEmpty -Because "a case for $Type is needed here"
        $a = Join-Path $TestDrive "$Name-a"
        $b = Join-Path $TestDrive "$Name-b"
        New-PairStore $a
        New-PairStore $b
        if ($prepare[$Name]) { & $prepare[$Name] $a; & $prepare[$Name] $b }
        $before = @{}
        foreach ($s in $a, $b) { foreach ($k in 'One', 'Two') { $before["$s|$k"] = Get-Fingerprint $kind $s $k } }

        # A's 'One' and B's 'Two'. A cmdlet that takes one object gets them one after the other through the pipeline.
        $objects = @(& $kind.Get $a | Where-Object { ($_ | ForEach-Object $kind.Key) -eq 'One' }) +
                   @(& $kind.Get $b | Where-Object { ($_ | ForEach-Object $kind.Key) -eq 'Two' })
        $objects.Count | Should -Be 2
        $splat = if ($arguments[$Name]) { $arguments[$Name].Clone() } else { @{} }
        if ((Get-Command $Name).Parameters['InputObject'].ParameterType.IsArray) {
            & $Name -InputObject $objects @splat -ErrorAction Stop | Out-Null
        }
        else {
            $objects | & $Name @splat -ErrorAction Stop | Out-Null
        }

        Get-Fingerprint $kind $a 'One' | Should -Not -Be $before["$a|One"] -Because "A's 'One' was given"
        Get-Fingerprint $kind $b 'Two' | Should -Not -Be $before["$b|Two"] -Because "B's 'Two' was given"
        Get-Fingerprint $kind $a 'Two' | Should -Be $before["$a|Two"] -Because "A's 'Two' was not given"
        Get-Fingerprint $kind $b 'One' | Should -Be $before["$b|One"] -Because "B's 'One' was not given"
    }
}
