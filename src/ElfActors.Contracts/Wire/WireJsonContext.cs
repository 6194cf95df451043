using System.Text.Json.Serialization;

namespace ElfActors.Contracts.Wire;

/// <summary>Source-generated JSON for the wire and for `--json` output: no reflection, so the client stays AOT-safe.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(WireRequest))]
[JsonSerializable(typeof(WireResponse))]
public sealed partial class WireJsonContext : JsonSerializerContext;
