using CasbCore;
using CasbCore.Certificates;

namespace CasbModule.Types;

/// <summary>A file of the lab PKI written by New-CasbSampleCertificate.</summary>
public sealed class CasbSampleCertificateFile
{
    internal CasbSampleCertificateFile(LabPkiFile file, string path)
    {
        Name = DisplayText.Safe(file.Name);
        Path = DisplayText.Safe(path);
        Kind = file.Kind;
        Description = DisplayText.Safe(file.Description);
    }

    public string Name { get; }

    public string Path { get; }

    public LabPkiFileKind Kind { get; }

    public string Description { get; }

    public override string ToString() => Path;
}
