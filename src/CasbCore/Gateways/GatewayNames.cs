namespace CasbCore.Gateways;

/// <summary>
/// A gateway's name: letters, digits, '.', '_' and '-' (ASCII), as it becomes part of file names in the store's gateways
/// and activity folders and of every activity record. One rule for Start-CasbGateway, <see cref="GatewayProcesses.Start"/>
/// and the gateway's own --name, so none of them takes a name another refuses. A regular expression's '$' also matches
/// before a final line break, so "gw\n" passed the cmdlet's pattern and named a record file and the log's lines.
/// </summary>
public static class GatewayNames
{
    /// <summary>The cmdlet's pattern: the whole name (\z, not $: nothing after it, a line break neither).</summary>
    public const string Pattern = @"^[A-Za-z0-9._-]+\z";

    /// <summary>True for a name of one or more of the allowed characters and nothing else.</summary>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && !name.AsSpan().ContainsAnyExcept(Allowed);

    /// <summary>Throws InvalidName (InvalidArgument) for a name <see cref="IsValid"/> refuses, showing it escaped.</summary>
    public static void ThrowIfInvalid(string? name)
    {
        if (!IsValid(name))
        {
            throw new CasbException(Catalogs.ItemNames.InvalidNameErrorId, CasbErrorKind.InvalidArgument,
                $"The gateway name '{DisplayText.Safe(name ?? "")}' is not valid: use letters, digits, '.', '_' and '-' only.", name);
        }
    }

    private static readonly System.Buffers.SearchValues<char> Allowed =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
}
