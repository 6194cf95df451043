using System.Text.Json.Serialization;
using ElfActors.Cli.Simulation;

namespace ElfActors.Cli;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(SimulationReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
