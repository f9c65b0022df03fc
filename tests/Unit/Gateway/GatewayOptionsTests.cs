using CasbGateway.Hosting;

namespace CasbModule.Tests.Gateway;

public sealed class GatewayOptionsTests
{
    [Fact]
    public void The_gateway_sets_no_body_size_limit_of_its_own_unless_given_one()
    {
        Assert.Null(GatewayOptions.Parse(["--store", "/tmp/s"]).MaxRequestBodySize);
        Assert.Equal(1048576, GatewayOptions.Parse(["--store", "/tmp/s", "--max-request-body-size", "1048576"]).MaxRequestBodySize);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1e6")]
    [InlineData("lots")]
    public void A_body_size_limit_that_is_not_a_positive_number_of_bytes_is_a_command_line_error(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => GatewayOptions.Parse(["--store", "/tmp/s", "--max-request-body-size", value]));
        Assert.Contains($"--max-request-body-size '{value}'", error.Message);
    }

    [Fact]
    public void The_activity_queue_holds_100000_records_unless_given_another_bound()
    {
        Assert.Equal(100_000, GatewayOptions.Parse(["--store", "/tmp/s"]).ActivityQueueCapacity);
        Assert.Equal(250, GatewayOptions.Parse(["--store", "/tmp/s", "--activity-queue-capacity", "250"]).ActivityQueueCapacity);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1e3")]
    [InlineData("99999999999")]
    [InlineData("many")]
    public void An_activity_queue_bound_that_is_not_a_positive_number_of_records_is_a_command_line_error(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => GatewayOptions.Parse(["--store", "/tmp/s", "--activity-queue-capacity", value]));
        Assert.Contains($"--activity-queue-capacity '{value}'", error.Message);
    }
}
