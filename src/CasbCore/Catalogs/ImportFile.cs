using CasbCore.Model;

namespace CasbCore.Catalogs;

/// <summary>A configuration file read for import: its items, and whether it carries gateway settings at all.</summary>
public sealed record ImportFile(string Path, CasbConfiguration Configuration, bool HasSettings);
