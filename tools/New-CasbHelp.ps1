<#
.SYNOPSIS
    Generates MAML help (CasbModule.dll-Help.xml) from the cmdlets' XML documentation comments.
.DESCRIPTION
    One source of truth: each cmdlet class documents itself with
      <summary><para type="synopsis">...</para><para type="description">...</para></summary>
      <example><code>...</code><para>...</para></example>
    and each parameter property with <summary><para>...</para></summary>.
    Syntax, parameter sets, types, pipeline input and output types come from reflection.
    A cmdlet without a synopsis, description or example fails the build.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $AssemblyPath,
    [Parameter(Mandatory)][string] $DocumentationPath,
    [Parameter(Mandatory)][string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$assembly = [Reflection.Assembly]::LoadFrom((Resolve-Path $AssemblyPath).Path)
[xml] $docs = Get-Content $DocumentationPath -Raw
$members = @{}
foreach ($member in $docs.doc.members.member) { $members[$member.name] = $member }

function Get-Text([Xml.XmlNode] $node) {
    if ($null -eq $node) { return '' }
    return (($node.InnerText -split "`r?`n" | ForEach-Object { $_.Trim() }) -join ' ').Trim()
}

$maml = 'http://schemas.microsoft.com/maml/2004/10'
$command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
$settings = [Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [Text.UTF8Encoding]::new($false)
New-Item -ItemType Directory -Path (Split-Path $OutputPath) -Force | Out-Null
$writer = [Xml.XmlWriter]::Create($OutputPath, $settings)

function Write-Para([string] $text) {
    $writer.WriteStartElement('maml', 'para', $maml); $writer.WriteString($text); $writer.WriteEndElement()
}
function Write-Description([string[]] $paragraphs) {
    $writer.WriteStartElement('maml', 'description', $maml)
    foreach ($p in $paragraphs) { if ($p) { Write-Para $p } }
    $writer.WriteEndElement()
}
function Write-Type([type] $type) {
    $writer.WriteStartElement('dev', 'type', $dev)
    $writer.WriteElementString('name', $maml, $type.FullName)
    $writer.WriteEndElement()
}

$problems = [Collections.Generic.List[string]]::new()
$writer.WriteStartDocument()
$writer.WriteStartElement('helpItems', 'http://msh'); $writer.WriteAttributeString('schema', 'maml')

$cmdletTypes = $assembly.GetExportedTypes() |
    Where-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
    Sort-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].NounName },
                { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].VerbName }

foreach ($type in $cmdletTypes) {
    $attribute = $type.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
    $name = "$($attribute.VerbName)-$($attribute.NounName)"
    $doc = $members["T:$($type.FullName)"]
    $synopsis = if ($doc) { Get-Text $doc.SelectSingleNode('summary/para[@type="synopsis"]') } else { '' }
    $description = @(if ($doc) { $doc.SelectNodes('summary/para[@type="description"]') | ForEach-Object { Get-Text $_ } })
    $examples = @(if ($doc) { $doc.SelectNodes('example') })
    if (-not $synopsis) { $problems.Add("${name}: no synopsis") }
    if ($description.Count -eq 0) { $problems.Add("${name}: no description") }
    if ($examples.Count -eq 0) { $problems.Add("${name}: no example") }

    # Parameters: public properties with [Parameter], including inherited ones (-StorePath).
    $parameters = @(foreach ($property in $type.GetProperties()) {
        $paramAttributes = @($property.GetCustomAttributes([System.Management.Automation.ParameterAttribute], $true))
        if ($paramAttributes.Count -eq 0) { continue }
        $propertyDoc = $members["P:$($property.DeclaringType.FullName).$($property.Name)"]
        $text = if ($propertyDoc) { Get-Text $propertyDoc.SelectSingleNode('summary') } else { '' }
        if (-not $text) { $problems.Add("${name}: parameter -$($property.Name) has no description") }
        [pscustomobject]@{ Property = $property; Attributes = $paramAttributes; Text = $text }
    })

    $writer.WriteStartElement('command', 'command', $command)
    $writer.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $writer.WriteStartElement('command', 'details', $command)
    $writer.WriteElementString('command', 'name', $command, $name)
    Write-Description @($synopsis)
    $writer.WriteElementString('command', 'verb', $command, $attribute.VerbName)
    $writer.WriteElementString('command', 'noun', $command, $attribute.NounName)
    $writer.WriteEndElement()
    Write-Description $description

    # Syntax: one item per parameter set.
    $sets = @($parameters | ForEach-Object { $_.Attributes.ParameterSetName } | Sort-Object -Unique)
    $named = @($sets | Where-Object { $_ -ne '__AllParameterSets' })
    if ($named.Count -eq 0) { $named = @('__AllParameterSets') }
    $writer.WriteStartElement('command', 'syntax', $command)
    foreach ($set in $named) {
        $writer.WriteStartElement('command', 'syntaxItem', $command)
        $writer.WriteElementString('maml', 'name', $maml, $name)
        foreach ($p in $parameters) {
            $inSet = $p.Attributes | Where-Object { $_.ParameterSetName -in $set, '__AllParameterSets' } | Select-Object -First 1
            if (-not $inSet) { continue }
            $writer.WriteStartElement('command', 'parameter', $command)
            $writer.WriteAttributeString('required', $inSet.Mandatory.ToString().ToLowerInvariant())
            $writer.WriteAttributeString('position', $(if ($inSet.Position -ge 0) { "$($inSet.Position)" } else { 'named' }))
            $writer.WriteElementString('maml', 'name', $maml, $p.Property.Name)
            if ($p.Property.PropertyType -ne [System.Management.Automation.SwitchParameter]) {
                $writer.WriteStartElement('command', 'parameterValue', $command)
                $writer.WriteAttributeString('required', 'true')
                $writer.WriteString($p.Property.PropertyType.Name)
                $writer.WriteEndElement()
            }
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'parameters', $command)
    foreach ($p in $parameters) {
        $first = $p.Attributes[0]
        $pipeline = @()
        if ($p.Attributes | Where-Object ValueFromPipeline) { $pipeline += 'ByValue' }
        if ($p.Attributes | Where-Object ValueFromPipelineByPropertyName) { $pipeline += 'ByPropertyName' }
        $writer.WriteStartElement('command', 'parameter', $command)
        $writer.WriteAttributeString('required', (@($p.Attributes | Where-Object Mandatory).Count -gt 0).ToString().ToLowerInvariant())
        $writer.WriteAttributeString('globbing', 'false')
        $writer.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
        $writer.WriteAttributeString('position', $(if ($first.Position -ge 0) { "$($first.Position)" } else { 'named' }))
        $writer.WriteElementString('maml', 'name', $maml, $p.Property.Name)
        Write-Description @($p.Text)
        $writer.WriteStartElement('command', 'parameterValue', $command)
        $writer.WriteAttributeString('required', 'true')
        $writer.WriteString($p.Property.PropertyType.Name)
        $writer.WriteEndElement()
        Write-Type $p.Property.PropertyType
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $inputs = @($parameters | Where-Object { $_.Attributes | Where-Object { $_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName } })
    $writer.WriteStartElement('command', 'inputTypes', $command)
    foreach ($p in $inputs) {
        $writer.WriteStartElement('command', 'inputType', $command)
        Write-Type $p.Property.PropertyType
        Write-Description @("Bound to -$($p.Property.Name).")
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'returnValues', $command)
    foreach ($output in $type.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $false)) {
        foreach ($outputType in $output.Type) {
            $writer.WriteStartElement('command', 'returnValue', $command)
            $writer.WriteStartElement('dev', 'type', $dev)
            $writer.WriteElementString('maml', 'name', $maml, $outputType.Name)
            $writer.WriteEndElement()
            $writer.WriteEndElement()
        }
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'examples', $command)
    $index = 0
    foreach ($example in $examples) {
        $index++
        $writer.WriteStartElement('command', 'example', $command)
        $writer.WriteElementString('maml', 'title', $maml, "-------------------------- Example $index --------------------------")
        $writer.WriteElementString('dev', 'code', $dev, $example.SelectSingleNode('code').InnerText.Trim())
        $writer.WriteStartElement('dev', 'remarks', $dev)
        foreach ($para in $example.SelectNodes('para')) { Write-Para (Get-Text $para) }
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
    $writer.WriteEndElement()
}

$writer.WriteEndElement()
$writer.WriteEndDocument()
$writer.Close()

if ($problems.Count -gt 0) {
    $problems | ForEach-Object { Write-Warning $_ }
    throw "Help is incomplete for $($problems.Count) item(s); document them in the cmdlets' XML comments."
}
Write-Host "Help for $(@($cmdletTypes).Count) cmdlet(s) written to $OutputPath"
