namespace CasbTestIdentityProvider;

/// <summary>A user the test identity provider signs in: a name (sub, preferred_username, upn, email) and groups.</summary>
public sealed record TestUser(string Name, IReadOnlyList<string> Groups)
{
    /// <summary>Parses "vendor@fabrikam.com:Vendors,Contractors" (groups optional).</summary>
    public static TestUser Parse(string text)
    {
        int colon = text.IndexOf(':');
        return colon < 0
            ? new TestUser(text.Trim(), [])
            : new TestUser(text[..colon].Trim(), text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
