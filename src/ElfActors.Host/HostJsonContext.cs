using System.Text.Json.Serialization;
using ElfActors.Host.Simulation;

namespace ElfActors.Host;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(SimulationReport))]
internal sealed partial class HostJsonContext : JsonSerializerContext;
