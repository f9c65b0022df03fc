namespace CasbCore.Catalogs;

/// <summary>What Set-CasbApp changes; a null property stays as it is.</summary>
public sealed record AppChange
{
    /// <summary>A new name; the policies naming the app are renamed with it.</summary>
    public string? NewName { get; init; }

    public string? Upstream { get; init; }

    /// <summary>Replaces the host names (an empty list removes them all).</summary>
    public IReadOnlyList<string>? Hostnames { get; init; }

    public string? PathPrefix { get; init; }

    public bool? ForwardClientCertificate { get; init; }

    public CasbCore.Model.SignInMode? SignIn { get; init; }
}
