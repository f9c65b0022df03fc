namespace CasbCore.Model;

/// <summary>What happens when the signed-in user and the principal of a valid client certificate are different people.</summary>
public enum CertificateUserMismatchAction
{
    /// <summary>Decided as usual (the signed-in user counts) and marked in the decision and the activity log.</summary>
    Audit,

    /// <summary>Blocked with a message that names both.</summary>
    Block,

    /// <summary>Decided as usual and not marked.</summary>
    Allow,
}
