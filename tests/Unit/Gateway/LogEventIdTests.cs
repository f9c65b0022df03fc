using System.Reflection;
using CasbGateway.Hosting;
using Microsoft.Extensions.Logging;

namespace CasbModule.Tests.Gateway;

public sealed class LogEventIdTests
{
    // An operator filters and alerts on the gateway's log by event id: two messages under one id make an alert on a
    // refused server certificate fire on an activity-log failure too. Every LoggerMessage in the gateway, current and
    // future, is checked here, not a list of them.
    [Fact]
    public void Every_log_message_of_the_gateway_has_an_event_id_of_its_own()
    {
        var messages = typeof(GatewayApp).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(method => (Method: method, Attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(entry => entry.Attribute is not null)
            .ToList();

        Assert.True(messages.Count >= 20, $"found only {messages.Count} LoggerMessage methods: the scan is not seeing them");
        var shared = messages
            .GroupBy(entry => entry.Attribute!.EventId)
            .Where(group => group.Count() > 1)
            .Select(group => $"{group.Key}: {string.Join(", ", group.Select(entry => $"{entry.Method.DeclaringType!.Name}.{entry.Method.Name}"))}")
            .ToList();
        Assert.True(shared.Count == 0, "event ids used by more than one message: " + string.Join("; ", shared));
        Assert.DoesNotContain(messages, entry => entry.Attribute!.EventId <= 0);
    }
}
