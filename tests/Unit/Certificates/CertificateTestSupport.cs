using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CasbCore.Certificates;
using CasbCore.Model;

namespace CasbModule.Tests.Certificates;

/// <summary>One lab PKI for a whole test class (RSA key generation is the slow part).</summary>
public sealed class LabPkiFixture : IDisposable
{
    public LabPki Lab { get; } = LabPki.Create();

    public void Dispose() => Lab.Dispose();
}

internal static class TestConfigurations
{
    public static TrustedRootEntry Entry(X509Certificate2 certificate, TrustedRootKind kind) => new()
    {
        Thumbprint = certificate.Thumbprint,
        Subject = certificate.Subject,
        Issuer = certificate.Issuer,
        Kind = kind,
        NotBefore = certificate.NotBefore,
        NotAfter = certificate.NotAfter,
        AddedAt = DateTimeOffset.UtcNow,
        RawData = Convert.ToBase64String(certificate.RawData),
    };

    /// <summary>A configuration trusting the lab root (and, unless told otherwise, its intermediate).</summary>
    public static CasbConfiguration Trusting(LabPki lab, RevocationCheckMode mode = RevocationCheckMode.Optional, bool withIntermediate = true)
    {
        var configuration = new CasbConfiguration();
        configuration.Settings.RevocationMode = mode;
        configuration.TrustedRoots.Add(Entry(lab.Root, TrustedRootKind.Root));
        if (withIntermediate)
        {
            configuration.TrustedRoots.Add(Entry(lab.Intermediate, TrustedRootKind.Intermediate));
        }

        return configuration;
    }

    /// <summary>Adds CRLs the way Add-CasbCertificateRevocationList does.</summary>
    public static CasbConfiguration WithCrls(this CasbConfiguration configuration, params byte[][] crls)
    {
        foreach (byte[] crl in crls)
        {
            RevocationLists.Add(configuration, CertificateRevocationList.Parse(crl), force: true, DateTimeOffset.UtcNow);
        }

        return configuration;
    }

    public static byte[] IntermediateCrl(
        LabPki lab, int number, DateTimeOffset nextUpdate, DateTimeOffset? thisUpdate = null, params X509Certificate2[] revoked)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (X509Certificate2 certificate in revoked)
        {
            builder.AddEntry(certificate, DateTimeOffset.UtcNow.AddMinutes(-2), X509RevocationReason.KeyCompromise);
        }

        return builder.Build(lab.IntermediateWithKey, new BigInteger(number), nextUpdate, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, thisUpdate ?? DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    /// <summary>A CRL that names the lab intermediate as issuer but is signed by another key.</summary>
    public static byte[] ForgedIntermediateCrl(LabPki lab, params X509Certificate2[] revoked)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest(lab.Intermediate.SubjectName, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.KeyCertSign, true));
        using X509Certificate2 impostor = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        var builder = new CertificateRevocationListBuilder();
        foreach (X509Certificate2 certificate in revoked)
        {
            builder.AddEntry(certificate);
        }

        return builder.Build(impostor, BigInteger.One, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}

/// <summary>A CRL distribution point on 127.0.0.1 (HttpListener) that counts the requests it serves.</summary>
internal sealed class LoopbackCrlServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Thread _thread;
    private int _requests;

    public LoopbackCrlServer()
    {
        int port = FreePort();
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseUri.AbsoluteUri);
        _listener.Start();
        _thread = new Thread(Serve) { IsBackground = true, Name = "loopback-crl-server" };
        _thread.Start();
    }

    public Uri BaseUri { get; }

    /// <summary>Path (e.g. "/issuing.crl") to response body; a missing path answers 404.</summary>
    public Dictionary<string, byte[]> Content { get; } = new(StringComparer.Ordinal);

    public int Requests => Volatile.Read(ref _requests);

    public string Url(string path) => new Uri(BaseUri, path).AbsoluteUri;

    public void Dispose()
    {
        // Close alone (it stops too): the managed HttpListener's Close after a Stop looks its endpoint up again, binds the
        // port anew when Stop already removed it, and threw "Address already in use" when another test had taken the
        // port meanwhile (a CI run failed A_distribution_point_that_does_not_answer_leaves_the_status_unknown so).
        _listener.Close();
        _thread.Join(TimeSpan.FromSeconds(5));
    }

    private void Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = _listener.GetContext();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Interlocked.Increment(ref _requests);
            byte[]? body;
            lock (Content)
            {
                Content.TryGetValue(context.Request.Url!.AbsolutePath, out body);
            }

            context.Response.StatusCode = body is null ? 404 : 200;
            context.Response.ContentType = "application/pkix-crl";
            if (body is not null)
            {
                context.Response.OutputStream.Write(body);
            }

            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
