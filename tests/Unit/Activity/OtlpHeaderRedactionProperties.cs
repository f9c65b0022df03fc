using CasbCore;
using CasbCore.Activity;
using CsCheck;

namespace CasbModule.Tests.Activity;

/// <summary>
/// A header written the wrong way ("Authorization: Basic dXNlcjpwYXNz=", as curl and HTTP write it) has its first '='
/// inside the credential: what comes before it is no header name, and no part of the credential is in the error.
/// </summary>
public sealed class OtlpHeaderRedactionProperties
{
    [Fact]
    public void A_header_not_in_name_value_form_never_shows_its_credential()
    {
        Gen.Select(Gen.OneOf(new[] { "Authorization: Basic ", "Authorization: Bearer ", "X-Api-Key: ", "api-key " }.Select(Gen.Const).ToArray()), Gen.String[Gen.Char["JKQVXZ"], 6, 20], Gen.OneOf(new[] { "=", "==", "=x" }.Select(Gen.Const).ToArray()))
            .Sample((prefix, credential, tail) =>
            {
                CasbException error = Assert.Throws<CasbException>(() => { OtlpActivitySink.ParseHeader(prefix + credential + tail); });

                Assert.Equal("InvalidOtlpHeader", error.ErrorId);
                Assert.DoesNotContain(credential[..6], error.Message + "\n" + error.Target);
            });
    }
}
