using CasbCore.Model;

namespace CasbModule.Types;

/// <summary>An app the gateway protects: where it answers (host names, path prefix) and where it forwards to.</summary>
public sealed class CasbApp
{
    internal CasbApp(AppEntry entry, string storePath)
    {
        Name = entry.Name;
        Upstream = new Uri(entry.Upstream, UriKind.RelativeOrAbsolute);
        Hostnames = entry.Hostnames.ToArray();
        PathPrefix = entry.PathPrefix;
        ForwardClientCertificate = entry.ForwardClientCertificate;
        CreatedAt = entry.CreatedAt;
        ModifiedAt = entry.ModifiedAt;
        StorePath = storePath;
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

    public override string ToString() => Name;
}
