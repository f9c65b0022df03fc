namespace CasbCore.Certificates;

/// <summary>
/// The user a client certificate names and where that name came from; <see cref="Problem"/> says why the
/// subject alternative names cannot be trusted at all (then there is no principal).
/// </summary>
public sealed record CertificateIdentity(string? Principal, PrincipalSource Source, string? Problem);
