using System.Net;
using System.Text;

namespace CasbGateway.SampleApp;

/// <summary>
/// A small upstream app for demos and tests: every page echoes what reached it (path, forwarded headers,
/// whether a client certificate header arrived, all request headers), so a test can see what the gateway
/// forwarded and stripped. /slow?seconds=N answers late; POST /upload counts the bytes it received.
/// </summary>
internal static class SampleAppHost
{
    public const string Banner = "Hello from the Casb sample app";

    public static async Task<int> RunAsync(string[] args)
    {
        string urls = "http://127.0.0.1:5080";
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--urls" && i + 1 < args.Length)
            {
                urls = args[++i];
            }
            else
            {
                Console.Error.WriteLine($"CasbGateway sample-app: unknown option '{args[i]}'. Usage: CasbGateway sample-app --urls http://127.0.0.1:5080");
                return 2;
            }
        }

        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = Array.Empty<string>(),
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries));
        WebApplication app = builder.Build();
        Map(app);
        try
        {
            await app.RunAsync();
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"CasbGateway sample-app: cannot listen on {urls}: {ex.Message}");
            return 1;
        }

        return 0;
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/slow", async (HttpContext context, double? seconds) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds ?? 5), context.RequestAborted);
            return Results.Text("Slow answer from the Casb sample app\n");
        });
        app.MapPost("/upload", async (HttpContext context) =>
        {
            // Counts the body as it streams in, so a test can see a large upload arrived whole.
            byte[] buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                total += read;
            }

            return Results.Text($"Received {total} bytes\n");
        });
        app.MapGet("/download/{name}", (string name, int? bytes) =>
            // A file download as apps send one: an attachment with its name, so the gateway's session control sees it.
            Results.File(Encoding.UTF8.GetBytes(new string('x', Math.Clamp(bytes ?? 64, 0, 10_000_000))), "application/octet-stream", name));
        app.Map("{**path}", (HttpContext context) => Results.Content(Render(context.Request), "text/html; charset=utf-8"));
    }

    public static string Render(HttpRequest request)
    {
        static string E(string? value) => WebUtility.HtmlEncode(value ?? "");
        bool hasClientCert = request.Headers.ContainsKey("Client-Cert");
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Casb sample app</title></head><body>\n");
        html.Append("<h1>").Append(Banner).Append("</h1>\n<dl>\n");
        html.Append("<dt>Method</dt><dd id=\"method\">").Append(E(request.Method)).Append("</dd>\n");
        html.Append("<dt>Path</dt><dd id=\"path\">").Append(E(request.Path + request.QueryString)).Append("</dd>\n");
        html.Append("<dt>Host</dt><dd id=\"host\">").Append(E(request.Host.Value)).Append("</dd>\n");
        html.Append("<dt>X-Forwarded-For</dt><dd id=\"x-forwarded-for\">").Append(E(request.Headers["X-Forwarded-For"])).Append("</dd>\n");
        html.Append("<dt>X-Forwarded-Proto</dt><dd id=\"x-forwarded-proto\">").Append(E(request.Headers["X-Forwarded-Proto"])).Append("</dd>\n");
        html.Append("<dt>X-Forwarded-Host</dt><dd id=\"x-forwarded-host\">").Append(E(request.Headers["X-Forwarded-Host"])).Append("</dd>\n");
        html.Append("<dt>Client-Cert</dt><dd id=\"client-cert\">").Append(hasClientCert ? "present" : "absent").Append("</dd>\n");
        html.Append("</dl>\n<h2>Request headers</h2>\n<pre id=\"headers\">\n");
        foreach (var header in request.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            html.Append(E(header.Key)).Append(": ").Append(E(header.Value.ToString())).Append('\n');
        }

        html.Append("</pre>\n</body></html>\n");
        return html.ToString();
    }
}
