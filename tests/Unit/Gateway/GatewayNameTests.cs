using System.Diagnostics;
using System.Management.Automation;
using System.Text.RegularExpressions;
using CasbCore;
using CasbCore.Gateways;
using CasbModule.Tests.Cmdlets;
using CsCheck;

namespace CasbModule.Tests.Gateway;

/// <summary>
/// A gateway's name becomes part of file names (its record, its log, its activity file) and of every activity record.
/// Start-CasbGateway's pattern ended in '$', which also matches before a final line break, so "gw\n" was taken; the
/// engine's start and the gateway's --name took any name. One rule now (<see cref="GatewayNames"/>) for all three.
/// </summary>
public sealed class GatewayNameTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("casb-gwname-").FullName;

    public void Dispose() => Directory.Delete(_store, recursive: true);

    private const string AllowedCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";

    private static readonly Gen<string> Names = Gen.OneOf(
        Gen.Char[AllowedCharacters].Array[1, 12].Select(c => new string(c)),
        Gen.Select(Gen.Char[AllowedCharacters].Array[0, 6], Gen.Char.Array[1, 2], Gen.Char[AllowedCharacters].Array[0, 6], Gen.Int[0, 2])
            .Select((a, odd, b, where) => where switch
            {
                0 => new string(odd) + new string(a) + new string(b),
                1 => new string(a) + new string(odd) + new string(b),
                _ => new string(a) + new string(b) + new string(odd),
            }),
        Gen.OneOf<string>("gw\n", "gw\r\n", "\ngw", "gw ", "g w", "../gw", "gw/x", "gw\\x", "gw\0", "gé", "ｇｗ", ""));

    [Fact]
    public void The_cmdlets_pattern_and_the_engines_rule_agree_on_every_name()
    {
        // The pattern Start-CasbGateway -Name carries, with the options PowerShell matches it with.
        ValidatePatternAttribute attribute = typeof(CasbModule.Cmdlets.StartCasbGatewayCommand).GetProperty("Name")!
            .GetCustomAttributes(typeof(ValidatePatternAttribute), inherit: true).Cast<ValidatePatternAttribute>().Single();
        var pattern = new Regex(attribute.RegexPattern, attribute.Options);
        Names.Sample(name =>
        {
            bool expected = name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
            Assert.True(GatewayNames.IsValid(name) == expected, $"'{DisplayText.Safe(name)}': rule {GatewayNames.IsValid(name)}");
            Assert.True(pattern.IsMatch(name) == expected, $"'{DisplayText.Safe(name)}': pattern {pattern.IsMatch(name)}");
        }, iter: 5000);
    }

    [Theory]
    [InlineData("gw\n")]
    [InlineData("gw\r\n")]
    [InlineData("g/w")]
    public void Start_CasbGateway_refuses_a_name_with_a_line_break_or_another_character_before_starting_anything(string name)
    {
        using var powerShell = new PowerShellHost();

        (_, IReadOnlyList<ErrorRecord> errors) = powerShell.Run(
            "Start-CasbGateway -StorePath $store -Port 1 -Name $name", new Dictionary<string, object?> { ["store"] = _store, ["name"] = name });

        ErrorRecord error = Assert.Single(errors);
        Assert.StartsWith("ParameterArgumentValidationError", error.FullyQualifiedErrorId);
        Assert.False(Directory.Exists(Path.Combine(_store, "gateways")));
    }

    [Fact]
    public void The_engine_refuses_the_name_before_any_process_or_file()
    {
        var exception = Assert.Throws<CasbException>(() => GatewayProcesses.Start(new GatewayStartOptions { StorePath = _store, Name = "gw\n", GatewayDirectory = _store, Port = 1 }));

        Assert.Equal(("InvalidName", CasbErrorKind.InvalidArgument), (exception.ErrorId, exception.Kind));
        Assert.Contains("gw\\n", exception.Message);
        Assert.False(Directory.Exists(Path.Combine(_store, "gateways")));
    }

    [Fact]
    public async Task The_gateway_refuses_such_a_name_as_a_usage_error()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "CasbGateway.dll");
        var start = new ProcessStartInfo(GatewayProcesses.FindDotnet()) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { dll, "--store", _store, "--urls", "https://127.0.0.1:0", "--name", "gw\n" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            // A gateway that took the name runs on: the wait ends, and the process is killed, after 60 s.
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--name 'gw\\n' is not a gateway name", await stderr);
        Assert.False(Directory.Exists(Path.Combine(_store, "activity")));
    }
}
