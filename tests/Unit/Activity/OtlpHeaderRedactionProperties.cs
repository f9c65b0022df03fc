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
    /// <summary>A credential given without its header name: base64 padding ('=') splits it into a token and an empty value.</summary>
    [Fact]
    public void A_credential_given_without_a_header_name_is_not_shown()
    {
        Gen.Select(Gen.String[Gen.Char["JKQVXZjkqvxz0123456789+"], 8, 24], Gen.OneOf(Gen.Const("="), Gen.Const(" ="), Gen.Const("= ")))
            .Sample((credential, tail) =>
            {
                CasbException error = Assert.Throws<CasbException>(() => { OtlpActivitySink.ParseHeader(credential + tail); });

                Assert.Equal("InvalidOtlpHeader", error.ErrorId);
                Assert.DoesNotContain(credential[..8], error.Message + "\n" + error.Target);
            });
    }

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
