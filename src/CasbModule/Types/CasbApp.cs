using CasbCore;
using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>An app the gateway protects: where it answers (host names, path prefix) and where it forwards to.</summary>
public sealed class CasbApp
{
    internal CasbApp(AppEntry entry, string storePath)
    {
        Name = DisplayText.Safe(entry.Name);
        Upstream = Display.Upstream(entry.Upstream);
        Hostnames = DisplayText.SafeAll(entry.Hostnames);
        PathPrefix = DisplayText.Safe(entry.PathPrefix);
        ForwardClientCertificate = entry.ForwardClientCertificate;
        CreatedAt = entry.CreatedAt;
        ModifiedAt = entry.ModifiedAt;
        StorePath = DisplayText.Safe(storePath);
        ExactName = entry.Name;
        ExactStorePath = storePath;
    }

    public string Name { get; }

    public Uri Upstream { get; }

    public string[] Hostnames { get; }

    public string PathPrefix { get; }

    public bool ForwardClientCertificate { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset ModifiedAt { get; }

    /// <summary>The store the app was read from, so that a piped object is changed in the same store.</summary>
    public string StorePath { get; }

    /// <summary>The name as stored, for the cmdlets that find a piped item again (Name is made safe to display).</summary>
    internal string ExactName { get; }

    /// <summary>The store path as given, for the cmdlets that change a piped item in its own store.</summary>
    internal string ExactStorePath { get; }

    public override string ToString() => Name;
}
