namespace CasbCore.Certificates;

/// <summary>Where the user a client certificate names was taken from.</summary>
public enum PrincipalSource
{
    None,
    UserPrincipalName,
    Email,
    CommonName,
}
