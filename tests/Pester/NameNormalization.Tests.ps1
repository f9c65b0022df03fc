# User and group names compare in one Unicode form (CasbCore.SignIn.NameNormalization: width mapping, then NFC) that the
# engine computes from its own tables, because the gateway runs with InvariantGlobalization, where string.Normalize does
# nothing. pwsh runs with ICU, so here the engine's NFC is checked against .NET's own, code point by code point and on
# generated sequences of starters and combining marks; and through the cmdlets, where an admin sees it.
BeforeAll {
    Import-Module $env:CASB_MODULE_MANIFEST -Force

    $edge = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
    $normalization = [CasbCore.SignIn.NameNormalization]

    function Format-CodePoints([string] $Text) {
        ($Text.EnumerateRunes() | ForEach-Object { 'U+{0:X4}' -f $_.Value }) -join ' '
    }

    # Blocks that Unicode 15.0 added with combining marks: the engine's data (its UnicodeVersion) predates them, and
    # treats their marks as starters, as a normalizer of that version does.
    $newerBlocks = @(@(0x10EC0, 0x10EFF), @(0x11F00, 0x11F5F), @(0x1E030, 0x1E08F), @(0x1E4D0, 0x1E4FF))
    function Test-Comparable([int] $CodePoint) {
        if (($CodePoint -ge 0xD800 -and $CodePoint -le 0xDFFF) -or ($CodePoint -band 0xFFFE) -eq 0xFFFE) { return $false } # surrogates, noncharacters
        foreach ($block in $newerBlocks) { if ($CodePoint -ge $block[0] -and $CodePoint -le $block[1]) { return $false } }
        $true
    }
}

Describe 'The engine''s NFC agrees with .NET''s under ICU' {
    It 'runs where ICU normalizes (else this file would compare nothing)' {
        ('e' + [char]0x301).Normalize() | Should -BeExactly ([string][char]0xE9)
        $normalization::UnicodeVersion | Should -Match '^1[4-9]\.'
    }

    It 'gives every code point up to U+2FFFF, and its NFD, the NFC that .NET gives' {
        $failures = [System.Collections.Generic.List[string]]::new()
        for ($point = 0xA0; $point -lt 0x30000; $point++) {
            if (-not (Test-Comparable $point)) { continue }
            $text = [char]::ConvertFromUtf32($point)
            $expected = $text.Normalize()
            foreach ($input in $text, $text.Normalize([Text.NormalizationForm]::FormD)) {
                $actual = $normalization::ToFormC($input)
                if ($actual -cne $expected) { $failures.Add("$(Format-CodePoints $input): engine $(Format-CodePoints $actual), .NET $(Format-CodePoints $expected)") }
            }
        }

        $failures | Select-Object -First 20 | Should -BeNullOrEmpty
    }

    It 'composes generated sequences of starters and combining marks as .NET does (seed in the failure)' {
        # Starters that compose (Latin, Greek, Cyrillic, Hebrew, Hangul jamo and syllables, kana, Indic two-part vowels,
        # supplementary ones, singletons) and marks of many classes, in any order: reordering, blocking and composition.
        $starters = 0x41, 0x61, 0x45, 0x65, 0x4F, 0x6F, 0x55, 0x75, 0x3B1, 0x3B7, 0x3C9, 0x415, 0x435, 0x5D0, 0x1100, 0x1112, 0xAC00, 0xAC01,
            0x304B, 0x30AB, 0xB47, 0xBC6, 0xBC7, 0xCC6, 0xD46, 0xDD9, 0x1025, 0x1B05, 0x11099, 0x11131, 0x114B9, 0x115B8, 0x11935, 0x1D157, 0x212B, 0x2126, 0x344
        $marks = 0x300, 0x301, 0x302, 0x303, 0x308, 0x323, 0x327, 0x328, 0x31B, 0x345, 0x334, 0x338, 0x5B0, 0x5BC, 0x3099, 0x309A, 0x1161, 0x11A8,
            0x11C2, 0xF71, 0xF72, 0xF74, 0xF80, 0x1DCE, 0xE38, 0xE48, 0x94D, 0x93C, 0x9BE, 0x9D7, 0xB3E, 0xB56, 0xB57, 0xCC2, 0xCD5, 0xD3E, 0xDCA,
            0x102E, 0x1B35, 0x110BA, 0x11127, 0x114B0, 0x114BA, 0x115AF, 0x11930, 0x1D165, 0x1D16E
        $seed = if ($env:CASB_NAME_NORMALIZATION_SEED) { [int]$env:CASB_NAME_NORMALIZATION_SEED } else { [Random]::Shared.Next() }
        $random = [Random]::new($seed)
        $failures = [System.Collections.Generic.List[string]]::new()
        for ($i = 0; $i -lt 20000; $i++) {
            $builder = [Text.StringBuilder]::new()
            for ($j = $random.Next(1, 7); $j -gt 0; $j--) {
                $pool = if ($random.Next(3) -eq 0) { $starters } else { $marks }
                [void]$builder.Append([char]::ConvertFromUtf32($pool[$random.Next($pool.Count)]))
            }

            $text = $builder.ToString()
            $actual = $normalization::ToFormC($text)
            if ($actual -cne $text.Normalize()) { $failures.Add("$(Format-CodePoints $text): engine $(Format-CodePoints $actual), .NET $(Format-CodePoints $text.Normalize())") }
        }

        $failures | Select-Object -First 20 | ForEach-Object { "seed ${seed} (CASB_NAME_NORMALIZATION_SEED): $_" } | Should -BeNullOrEmpty
    }

    It 'maps fullwidth and halfwidth forms as RFC 8265 does, which NFC alone leaves' {
        $normalization::Normalize([string]::new([char[]](0xFF4A, 0xFF4F, 0xFF48, 0xFF4E, 0xFF20))) | Should -BeExactly 'john@'
        $normalization::Normalize([string]::new([char[]](0xFF76, 0xFF9E))) | Should -BeExactly ([string][char]0x30AC) # halfwidth KA + voiced mark: GA
        $normalization::ToFormC([string][char]0xFF4A) | Should -BeExactly ([string][char]0xFF4A)
    }
}

Describe 'Names spelled in two Unicode forms are one name to the cmdlets and to Test-CasbAccess' {
    BeforeEach {
        $store = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $composed = "Jos$([char]0xE9)@contoso.com"           # é as one character
        $decomposed = "Jose$([char]0x301)@contoso.com"       # e + COMBINING ACUTE ACCENT
        Add-CasbApp -StorePath $store -Name 'Wiki' -Upstream 'http://127.0.0.1:8081' -Hostname 'wiki.contoso.local'
        New-CasbConditionalAccessPolicy -StorePath $store -Name 'Everyone via App Control' -IncludeUser All -SessionControl AppControl | Out-Null
    }

    It 'keeps one member when a member is added again in the other spelling, and stores it in NFC' {
        New-CasbGroup -StorePath $store -Name 'Vendors' -Member $decomposed | Out-Null
        $group = Add-CasbGroupMember -StorePath $store -Group 'Vendors' -Member $composed -PassThru

        $group.Members | Should -HaveCount 1
        $group.Members[0] | Should -BeExactly $composed
    }

    It 'refuses a second group whose name differs only in its Unicode spelling' {
        New-CasbGroup -StorePath $store -Name "Caf$([char]0xE9)" -Member 'a@contoso.com' | Out-Null

        { New-CasbGroup -StorePath $store -Name "Cafe$([char]0x301)" -Member 'b@contoso.com' -ErrorAction Stop } |
            Should -Throw -ErrorId 'GroupExists,CasbModule.Cmdlets.NewCasbGroupCommand'
    }

    It 'applies a policy on a group to the user in either spelling, and names the user in NFC' {
        New-CasbGroup -StorePath $store -Name 'Vendors' -Member $decomposed | Out-Null
        New-CasbAccessPolicy -StorePath $store -Name 'No vendors' -App 'Wiki' -Group 'Vendors' -Action Block -BlockMessage 'Vendors use the portal.' | Out-Null

        foreach ($user in $composed, $decomposed, $composed.ToUpperInvariant()) {
            $decision = Test-CasbAccess -StorePath $store -App 'Wiki' -User $user -UserAgent $edge
            $decision.Action | Should -Be 'Block' -Because "$(Format-CodePoints $user) is the group's member"
            $decision.BlockingPolicy | Should -Be 'No vendors'
            $decision.User | Should -BeExactly ([CasbCore.SignIn.UserNames]::Canonical($user))
            $decision.User.Normalize() | Should -BeExactly $decision.User
        }
    }

    It 'applies a policy naming the user in one spelling to the other, and in fullwidth letters' {
        New-CasbAccessPolicy -StorePath $store -Name 'Not him' -App 'Wiki' -User $decomposed, 'john@contoso.com' -Action Block -BlockMessage 'No.' | Out-Null

        (Test-CasbAccess -StorePath $store -App 'Wiki' -User $composed -UserAgent $edge).BlockingPolicy | Should -Be 'Not him'
        $fullwidth = [string]::new([char[]](0xFF4A, 0xFF4F, 0xFF48, 0xFF4E)) + '@contoso.com'
        (Test-CasbAccess -StorePath $store -App 'Wiki' -User $fullwidth -UserAgent $edge).BlockingPolicy | Should -Be 'Not him'
        (Test-CasbAccess -StorePath $store -App 'Wiki' -User 'jose@contoso.com' -UserAgent $edge).Action | Should -Be 'Allow'
    }
}
