using CasbCore;
using CasbCore.Store;
using CasbCore.Store.Postgres;
using CsCheck;

namespace CasbModule.Tests.Store;

/// <summary>
/// A store URI that carries a password is refused, and no part of the password is in the error's message or target (what
/// $Error, Get-Error and a transcript keep), whichever way the URI carries it: in the user information (libpq's user:password@,
/// escaped or not) or as libpq's password= parameter, and whatever characters it has.
/// </summary>
public sealed class StoreUriRedactionProperties
{
    // Letters that none of the messages' own words contain in a run of three (PGPASSWORD, PGPASSFILE, StoreUri...).
    private static readonly Gen<string> Run = Gen.String[Gen.Char["JKQVXZ"], 3, 6];
    private static readonly Gen<string> Separator = Gen.String[Gen.Char["@/:?#%!&=+;, "], 0, 2];

    private static readonly Gen<string[]> Runs = Gen.Select(Run, Separator).Array[1, 4].Select(parts => parts.Select(p => p.Item1 + p.Item2).ToArray());

    private static readonly string[] Shapes =
    [
        "postgresql://casb:{0}@db.contoso.com:5432/casb",
        "postgresql://casb:{1}@db.contoso.com:5432/casb?sslmode=require",
        "postgresql://casb@db.contoso.com:5432/casb?password={0}",
        "postgresql://casb@db.contoso.com:5432/casb?sslmode=require&password={1}",
        "postgres://casb@db.contoso.com/casb?password={1}&application_name=casb",
        // libpq's sslpassword= (the client key's password) is as secret as password=.
        "postgresql://casb@db.contoso.com:5432/casb?sslpassword={0}",
        "postgresql://casb@db.contoso.com:5432/casb?sslmode=verify-full&SSLPassword={1}",
    ];

    [Fact]
    public void A_password_in_a_store_uri_is_refused_and_no_part_of_it_is_shown()
    {
        Gen.Select(Runs, Gen.Int[0, Shapes.Length - 1]).Sample((parts, shape) =>
        {
            string password = string.Concat(parts);
            string text = string.Format(System.Globalization.CultureInfo.InvariantCulture, Shapes[shape], password, Uri.EscapeDataString(password));

            CasbException error = Assert.Throws<CasbException>(() => PostgresStoreUri.Parse(text));

            string shown = error.Message + "\n" + error.Target;
            foreach (string run in parts.Select(p => new string(p.TakeWhile(char.IsAsciiLetterUpper).ToArray())))
            {
                Assert.False(shown.Contains(run, StringComparison.Ordinal), $"'{run}' of the password '{password}' is shown: {shown}");
            }
        });
    }

    [Theory]
    [InlineData("postgresql://casb@db/casb?password=s3cr3t-pw")]
    [InlineData("postgresql://casb@db/casb?sslpassword=s3cr3t-pw")]
    [InlineData("postgresql://casb@db/casb?sslmode=require&SslPassword=s3cr3t-pw")]
    [InlineData("postgresql://casb@db/casb?ssl%70assword=s3cr3t-pw")]
    public void A_password_parameter_is_StoreUriHasPassword_without_showing_it(string text)
    {
        CasbException error = Assert.Throws<CasbException>(() => PostgresStoreUri.Parse(text));

        Assert.Equal("StoreUriHasPassword", error.ErrorId);
        Assert.DoesNotContain("s3cr3t-pw", error.Message + "\n" + error.Target);
        Assert.DoesNotContain("s3cr3t-pw", ConfigurationStores.Redact(text));
    }

    [Theory]
    [InlineData("postgresql://casb:s3cr3t-pw@db/casb")]
    [InlineData("postgresql://casb@db/casb?password=s3cr3t-pw")]
    [InlineData("postgresql://casb@db/casb?sslpassword=s3cr3t-pw")]
    public void A_store_path_that_is_a_database_with_a_password_does_not_show_it(string text)
    {
        CasbException error = Assert.Throws<CasbException>(() => CasbStore.Open(text));

        Assert.DoesNotContain("s3cr3t-pw", error.Message + "\n" + error.Target);
    }
}
