// Placeholder until the gateway issue: the process entry point of the enforcement reverse proxy.
Console.Error.WriteLine("CasbGateway: not implemented yet.");
return 2;
