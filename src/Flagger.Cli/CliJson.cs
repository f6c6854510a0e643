using System.Text.Json.Serialization;

namespace Flagger.Cli;

/// <summary>The CLI's own JSON (strings quoted for YAML, the version document).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(string))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
