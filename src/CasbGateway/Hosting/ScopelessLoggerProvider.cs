using Microsoft.Extensions.Logging;

namespace CasbGateway.Hosting;

/// <summary>
/// The JSON console logger without external scopes. The gateway's formatter never writes scopes, but a provider that
/// takes external scopes makes the logger factory keep every scope opened anywhere in an async-local: Kestrel opens one
/// per connection (its connection id), and the scope, its state and the execution context holding it stayed alive
/// with each open connection (152 B each; docs/benchmarks.md, "Seventh pass: memory"). Behind this wrapper the console
/// logger's own scope provider is the null one, so opening a scope makes nothing. It keeps the console logger's alias,
/// so a filter for "Console" (<c>Logging__Console__LogLevel__Default</c> in the environment) still applies to it.
/// </summary>
[ProviderAlias("Console")]
internal sealed class ScopelessLoggerProvider(ILoggerProvider inner) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => inner.CreateLogger(categoryName);

    public void Dispose() => inner.Dispose();
}
