using CasbCore.Certificates;

namespace CasbModule.Tests.Certificates;

/// <summary>One lab PKI per test class: creating the keys is the slow part.</summary>
public sealed class LabPkiFixture : IDisposable
{
    public LabPki Pki { get; } = LabPki.Create();

    public void Dispose() => Pki.Dispose();
}
