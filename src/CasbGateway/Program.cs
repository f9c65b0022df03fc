using CasbGateway.Hosting;
using CasbGateway.SampleApp;

// The enforcement reverse proxy, runnable on its own (systemd, containers) or through Start-CasbGateway.
//   CasbGateway --store <path> [--urls https://127.0.0.1:8443] [--certificate <pfx>] [--name <name>]
//   CasbGateway sample-app --urls http://127.0.0.1:5080
NativeMemoryTuning.LimitMallocArenas();

if (args.Length > 0 && args[0] == "sample-app")
{
    return await SampleAppHost.RunAsync(args[1..]);
}

GatewayOptions options;
try
{
    options = GatewayOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"CasbGateway: {ex.Message}");
    Console.Error.WriteLine(GatewayOptions.Usage);
    return 2;
}

if (options.LogFile is not null)
{
    try
    {
        GatewayLogFile.RedirectConsole(options.LogFile);
    }
    catch (GatewayStartupException ex)
    {
        // Still the original stderr: Start-CasbGateway shows this line to the admin.
        Console.Error.WriteLine($"CasbGateway: {ex.Message}");
        return 1;
    }
}

return await GatewayApp.RunAsync(options);
