namespace CasbCore.Certificates;

/// <summary>Downloads a CRL from a distribution point. The default is <see cref="HttpCrlSource"/>; tests inject their own.</summary>
public interface ICrlSource
{
    /// <summary>Returns the CRL bytes (DER or PEM) at <paramref name="location"/>, or throws with a message saying why not.</summary>
    byte[] Fetch(Uri location, TimeSpan timeout);
}
