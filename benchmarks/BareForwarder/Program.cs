using System.Net;
using System.Security.Cryptography.X509Certificates;
using BareForwarder;

// BareForwarder --listen 127.0.0.1:9443 --certificate server.pfx --upstream http://127.0.0.1:5080
// The certificate password is read from CASB_GATEWAY_CERTIFICATE_PASSWORD, as for the gateway.
// The gateway's arena cap (src/CasbGateway/Program.cs), before anything allocates from malloc's arenas.
CasbGateway.Hosting.NativeMemoryTuning.LimitMallocArenas();
string? listen = null, certificate = null, upstream = null;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--listen": listen = args[i + 1]; break;
        case "--certificate": certificate = args[i + 1]; break;
        case "--upstream": upstream = args[i + 1]; break;
        default:
            Console.Error.WriteLine($"BareForwarder: unknown option '{args[i]}'.");
            return 2;
    }
}

if (listen is null || certificate is null || upstream is null)
{
    Console.Error.WriteLine("Usage: BareForwarder --listen 127.0.0.1:9443 --certificate server.pfx --upstream http://127.0.0.1:5080");
    return 2;
}

X509Certificate2 serverCertificate = X509CertificateLoader.LoadPkcs12FromFile(
    certificate, Environment.GetEnvironmentVariable("CASB_GATEWAY_CERTIFICATE_PASSWORD"));
WebApplication app = BareForwarderApp.Build(IPEndPoint.Parse(listen), serverCertificate, upstream);
await app.RunAsync();
return 0;
