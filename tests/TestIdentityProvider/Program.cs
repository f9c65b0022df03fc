using CasbTestIdentityProvider;

// The test identity provider as a process, for the Demo's -SignIn variant:
//   CasbTestIdentityProvider --urls https://127.0.0.1:0 --user vendor@fabrikam.com:Vendors [--user ...]
//       [--client-id casb-gateway] [--client-secret ...] [--redirect-uri https://127.0.0.1:8443/.casb/signin-oidc]
//       [--post-logout-redirect-uri ...] [--certificate-out idp.cer]
// It prints one line "Authority: <uri>" when it is ready, writes its TLS certificate (DER) to --certificate-out,
// and runs until stopped.
string url = "https://127.0.0.1:0";
string clientId = "casb-gateway", clientSecret = "casb-test-secret";
string? certificateOut = null;
var users = new List<TestUser>();
var redirects = new List<string>();
var postLogout = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--urls": url = Value(); break;
        case "--user": users.Add(TestUser.Parse(Value())); break;
        case "--client-id": clientId = Value(); break;
        case "--client-secret": clientSecret = Value(); break;
        case "--redirect-uri": redirects.Add(Value()); break;
        case "--post-logout-redirect-uri": postLogout.Add(Value()); break;
        case "--certificate-out": certificateOut = Value(); break;
        default:
            Console.Error.WriteLine($"CasbTestIdentityProvider: unknown option '{args[i]}'.");
            return 2;
    }
}

await using TestIdentityProvider provider = await TestIdentityProvider.StartAsync(new TestIdentityProviderOptions
{
    Url = url,
    Users = users,
    ClientId = clientId,
    ClientSecret = clientSecret,
    RedirectUris = redirects,
    PostLogoutRedirectUris = postLogout,
});
if (certificateOut is not null)
{
    await File.WriteAllBytesAsync(certificateOut, provider.Certificate.RawData);
}

Console.WriteLine($"Authority: {provider.Authority}");
var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
await stop.Task;
return 0;
