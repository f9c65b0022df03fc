using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.SignIn;

namespace CasbCore.Certificates;

/// <summary>
/// The user-name part of a CA's name constraints extension (RFC 5280 4.2.1.10): its permitted and excluded
/// rfc822Name subtrees and UPN otherName subtrees. The platform chain builder checks DNS, directory-name and IP
/// constraints; OpenSSL does not check UPN otherNames at all, and a name constrained as rfc822Name can be carried
/// in a UPN instead. So the engine checks the one name it uses, the principal, against both kinds: for a CA with
/// any permitted user-name subtree the principal must lie in one of them, and it must lie in none of the excluded.
/// Matching (case-insensitive): "user@host" is that one address, "host" every address at host, ".host" every
/// address in a subdomain of host; a UPN constraint may be written "@host". An empty constraint excludes everything
/// and permits nothing. Names are matched as the users they name (<see cref="UserNames"/>), not as spelled.
/// </summary>
public sealed class NameConstraints
{
    private const string NameConstraintsOid = "2.5.29.30";

    private const string SmtpUtf8MailboxOid = "1.3.6.1.5.5.7.8.9";

    private NameConstraints(IReadOnlyList<string> permitted, IReadOnlyList<string> excluded, bool hasFormsNobodyChecks, bool hasUpnConstraints)
    {
        Permitted = permitted;
        Excluded = excluded;
        HasFormsNobodyChecks = hasFormsNobodyChecks;
        HasUpnConstraints = hasUpnConstraints;
    }

    /// <summary>The permitted user-name subtrees (rfc822Name and UPN values).</summary>
    public IReadOnlyList<string> Permitted { get; }

    /// <summary>The excluded user-name subtrees (rfc822Name and UPN values).</summary>
    public IReadOnlyList<string> Excluded { get; }

    /// <summary>
    /// True when a subtree has a form neither the engine nor the platform chain builder checks (x400Address,
    /// ediPartyName, registeredID, an otherName other than UPN and SmtpUTF8Mailbox): the platform's "unsupported
    /// constraint" finding then stands.
    /// </summary>
    public bool HasFormsNobodyChecks { get; }

    /// <summary>True when a subtree is a UPN otherName (OpenSSL reports those as an unsupported constraint type).</summary>
    public bool HasUpnConstraints { get; }

    /// <summary>
    /// The name constraints of <paramref name="certificate"/>, or null when it has no such extension. Throws
    /// <see cref="CryptographicException"/> when the extension cannot be read (the caller fails closed).
    /// </summary>
    public static NameConstraints? Read(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        X509Extension? extension = certificate.Extensions[NameConstraintsOid];
        if (extension is null)
        {
            return null;
        }

        var permitted = new List<string>();
        var excluded = new List<string>();
        bool formsNobodyChecks = false;
        bool upn = false;
        try
        {
            var outer = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            AsnReader constraints = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            if (constraints.HasData && constraints.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                formsNobodyChecks |= ReadSubtrees(constraints.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)), permitted, ref upn);
            }

            if (constraints.HasData && constraints.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
            {
                formsNobodyChecks |= ReadSubtrees(constraints.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1)), excluded, ref upn);
            }

            constraints.ThrowIfNotEmpty();
        }
        catch (AsnContentException ex)
        {
            throw new CryptographicException($"The name constraints extension cannot be read: {ex.Message}", ex);
        }

        return new NameConstraints(permitted, excluded, formsNobodyChecks, upn);
    }

    /// <summary>Null when <paramref name="principal"/> is within these constraints, else why not.</summary>
    public string? Check(string? principal)
    {
        if (Permitted.Count > 0 && (principal is null || !Permitted.Any(c => Matches(principal, c, excluding: false))))
        {
            string allowed = string.Join(", ", Permitted.Select(p => $"'{p}'"));
            return principal is null
                ? $"the certificate names no user, and the CA may issue only names in {allowed}"
                : $"'{principal}' is not within the names it may issue ({allowed})";
        }

        string? excludedBy = principal is null ? null : Excluded.FirstOrDefault(c => Matches(principal, c, excluding: true));
        return excludedBy is null ? null : $"'{principal}' is within the names it must not issue ('{excludedBy}')";
    }

    /// <summary>
    /// True when the user name <paramref name="name"/> lies in the subtree <paramref name="constraint"/>. Both are compared
    /// in the form the gateway makes a user of (<see cref="UserNames.Canonical"/>): "ａdmin" is the user "admin".
    /// </summary>
    public static bool Matches(string name, string constraint, bool excluding)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(constraint);
        name = UserNames.Canonical(name);
        string subtree = UserNames.Canonical(constraint.StartsWith('@') ? constraint[1..] : constraint);
        if (subtree.Length == 0)
        {
            return excluding; // fail closed either way
        }

        if (subtree.Contains('@'))
        {
            return string.Equals(name, subtree, StringComparison.OrdinalIgnoreCase);
        }

        int at = name.LastIndexOf('@');
        if (at < 0)
        {
            return false; // not a user@domain name: in no domain's subtree
        }

        ReadOnlySpan<char> domain = name.AsSpan(at + 1);
        return subtree[0] == '.'
            ? domain.Length > subtree.Length && domain.EndsWith(subtree, StringComparison.OrdinalIgnoreCase)
            : domain.Equals(subtree, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A user-name subtree as written: "" (all names), "user@host", "host", ".host" or "@host", with the host in
    /// letters, digits and hyphens. Anything else is a constraint we cannot honour: the CA fails closed.
    /// </summary>
    private static string CheckedSubtree(string subtree)
    {
        string host = subtree.StartsWith('@') || subtree.StartsWith('.') ? subtree[1..] : subtree;
        string? problem = subtree.Length == 0 ? null
            : host.Contains('@') ? CertificateExtensions.IdentityNameProblem(host)
            : CertificateExtensions.IdentityNameProblem("x@" + host);
        return problem is null ? subtree : throw new AsnContentException($"The name constraint '{subtree}' is not a user name, host or .domain: it {problem}.");
    }

    /// <summary>Reads a GeneralSubtrees list into <paramref name="into"/>; true when it has a form nobody checks.</summary>
    private static bool ReadSubtrees(AsnReader subtrees, List<string> into, ref bool upn)
    {
        bool nobodyChecks = false;
        if (!subtrees.HasData)
        {
            throw new AsnContentException("A GeneralSubtrees list is empty.");
        }

        while (subtrees.HasData)
        {
            AsnReader subtree = subtrees.ReadSequence();
            Asn1Tag tag = subtree.PeekTag();
            if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 1)
            {
                into.Add(CheckedSubtree(subtree.ReadCharacterString(UniversalTagNumber.IA5String, tag)));
            }
            else if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 0)
            {
                AsnReader otherName = subtree.ReadSequence(tag);
                string oid = otherName.ReadObjectIdentifier();
                AsnReader value = otherName.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
                if (oid == CertificateExtensions.UserPrincipalNameOid)
                {
                    into.Add(CheckedSubtree(value.ReadCharacterString(UniversalTagNumber.UTF8String)));
                    upn = true;
                }
                else
                {
                    value.ReadEncodedValue();
                    nobodyChecks |= oid != SmtpUtf8MailboxOid;
                }

                value.ThrowIfNotEmpty();
                otherName.ThrowIfNotEmpty();
            }
            else
            {
                subtree.ReadEncodedValue(); // DNS [2], directory name [4], URI [6], IP [7]: the platform chain builder checks those
                nobodyChecks |= tag.TagClass != TagClass.ContextSpecific || tag.TagValue is not (2 or 4 or 6 or 7);
            }

            // RFC 5280: minimum is 0 and maximum absent; anything else is a constraint we cannot honour.
            if (subtree.HasData)
            {
                throw new AsnContentException("A general subtree has a minimum or maximum, which RFC 5280 does not allow.");
            }
        }

        return nobodyChecks;
    }
}
