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

    [Theory]
    [InlineData("http://collector:4318", "http://collector:4318/v1/logs")]
    [InlineData("https://siem.example/otlp/", "https://siem.example/otlp/v1/logs")]
    [InlineData("http://127.0.0.1:4318/v1/logs", "http://127.0.0.1:4318/v1/logs")]
    public void An_OTLP_endpoint_is_the_collectors_base_url_and_activity_is_posted_to_its_logs_path(string endpoint, string logs)
    {
        GatewayOptions options = GatewayOptions.Parse(["--store", "/tmp/s", "--activity-otlp", endpoint, "--activity-otlp-header", "Authorization=Bearer k=1"]);
        Assert.Equal(new Uri(logs), options.ActivityOtlpEndpoint);
        Assert.Equal([new KeyValuePair<string, string>("Authorization", "Bearer k=1")], options.ActivityOtlpHeaders);
        Assert.Null(GatewayOptions.Parse(["--store", "/tmp/s"]).ActivityOtlpEndpoint);
    }

    [Theory]
    [InlineData("collector:4318")]
    [InlineData("ftp://collector/")]
    [InlineData("not a url")]
    [InlineData("/v1/logs")]
    [InlineData("http://user:password@collector:4318")]
    [InlineData("http://collector:4318/?key=abc")]
    public void An_OTLP_endpoint_that_is_not_an_http_url_without_credentials_is_a_command_line_error(string endpoint)
    {
        var error = Assert.Throws<ArgumentException>(() => GatewayOptions.Parse(["--store", "/tmp/s", "--activity-otlp", endpoint]));
        Assert.StartsWith("--activity-otlp: ", error.Message);
        Assert.Equal("InvalidOtlpEndpoint", Assert.IsType<CasbCore.CasbException>(error.InnerException).ErrorId);
        Assert.DoesNotContain("password", error.Message);
    }

    [Theory]
    [InlineData("Bearer secret-value")]
    [InlineData("=secret-value")]
    [InlineData("Bad Name=secret-value")]
    [InlineData("X-Key=")]
    [InlineData("X-Key=secret-value\r\nX-Other: 1")]
    [InlineData("Content-Type=secret-value")]
    public void A_bad_OTLP_header_is_a_command_line_error_that_never_shows_its_value(string header)
    {
        header = header.Replace("\\r\\n", "\r\n", StringComparison.Ordinal);
        var error = Assert.Throws<ArgumentException>(() =>
            GatewayOptions.Parse(["--store", "/tmp/s", "--activity-otlp", "http://collector:4318", "--activity-otlp-header", header]));
        Assert.Equal("InvalidOtlpHeader", Assert.IsType<CasbCore.CasbException>(error.InnerException).ErrorId);
        Assert.DoesNotContain("secret-value", error.Message);
    }

    [Fact]
    public void OTLP_headers_without_an_OTLP_endpoint_are_a_command_line_error()
    {
        var error = Assert.Throws<ArgumentException>(() => GatewayOptions.Parse(["--store", "/tmp/s", "--activity-otlp-header", "X-Key=v"]));
        Assert.Contains("--activity-otlp <url>", error.Message);
    }

    [Fact]
    public void The_activity_queue_holds_100000_records_unless_given_another_bound()
    {
        Assert.Equal(100_000, GatewayOptions.Parse(["--store", "/tmp/s"]).ActivityQueueCapacity);
        Assert.Equal(250, GatewayOptions.Parse(["--store", "/tmp/s", "--activity-queue-capacity", "250"]).ActivityQueueCapacity);
        Assert.Equal(10_000_000, GatewayOptions.Parse(["--store", "/tmp/s", "--activity-queue-capacity", "10000000"]).ActivityQueueCapacity);
    }

    [Fact]
    public void OTLP_requests_are_gzip_compressed_unless_none_is_asked_for()
    {
        Assert.Equal(CasbCore.Activity.OtlpCompression.Gzip, GatewayOptions.Parse(["--store", "/tmp/s", "--activity-otlp", "http://c:4318"]).ActivityOtlpCompression);
        Assert.Equal(
            CasbCore.Activity.OtlpCompression.None,
            GatewayOptions.Parse(["--store", "/tmp/s", "--activity-otlp", "http://c:4318", "--activity-otlp-compression", "none"]).ActivityOtlpCompression);

        var bad = Assert.Throws<ArgumentException>(() =>
            GatewayOptions.Parse(["--store", "/tmp/s", "--activity-otlp", "http://c:4318", "--activity-otlp-compression", "brotli"]));
        Assert.StartsWith("--activity-otlp-compression: ", bad.Message);
        Assert.Equal("InvalidOtlpCompression", Assert.IsType<CasbCore.CasbException>(bad.InnerException).ErrorId);
        Assert.Contains(
            "without --activity-otlp <url>",
            Assert.Throws<ArgumentException>(() => GatewayOptions.Parse(["--store", "/tmp/s", "--activity-otlp-compression", "gzip"])).Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1e3")]
    [InlineData("99999999999")]
    [InlineData("10000001")]
    [InlineData("many")]
    public void An_activity_queue_bound_that_is_not_a_positive_number_of_records_is_a_command_line_error(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => GatewayOptions.Parse(["--store", "/tmp/s", "--activity-queue-capacity", value]));
        Assert.Contains($"--activity-queue-capacity '{value}'", error.Message);
    }

    [Theory]
    [InlineData("Host=db.contoso.com;Username=casb;Password=s3cr3t-pw;Database=casb")]
    [InlineData("Host=db.contoso.com;Username=casb;PWD=s3cr3t-pw;Database=casb")]
    [InlineData("host=db.contoso.com; password = s3cr3t-pw")]
    [InlineData("postgresql://casb:s3cr3t-pw@db.contoso.com:5432/casb")]
    [InlineData("postgresql://casb@db.contoso.com:5432/casb?password=s3cr3t-pw")]
    [InlineData("Host=db.contoso.com;Username=casb;SSL Password=s3cr3t-pw;Database=casb")]
    [InlineData("Host=db.contoso.com;Username=casb;SslPassword=s3cr3t-pw")]
    [InlineData("postgresql://casb@db.contoso.com:5432/casb?sslpassword=s3cr3t-pw")]
    public void An_activity_database_with_a_password_on_the_command_line_is_refused_without_showing_it(string database)
    {
        // Every local user reads a process's command line (/proc/<pid>/cmdline): the password comes from PGPASSWORD or the passfile.
        var error = Assert.Throws<ArgumentException>(() => GatewayOptions.Parse(["--store", "/tmp/s", "--activity-database", database]));

        Assert.StartsWith("--activity-database: ", error.Message);
        Assert.DoesNotContain("s3cr3t-pw", error.Message);
    }

    [Fact]
    public void An_activity_database_uri_without_a_password_is_taken()
    {
        GatewayOptions options = GatewayOptions.Parse(["--store", "/tmp/s", "--activity-database", "postgresql://casb@db.contoso.com:5432/casb"]);

        Assert.Equal("postgresql://casb@db.contoso.com:5432/casb", options.ActivityDatabase);
    }
}
