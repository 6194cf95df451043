using System.Text.Json.Serialization;
using ElfActors.Host.Simulation;

namespace ElfActors.Host;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(SimulationReport))]
[JsonSerializable(typeof(ElfActors.Core.Import.ImportSummary))]
[JsonSerializable(typeof(ElfActors.Core.Import.ReindexSummary))]
internal sealed partial class HostJsonContext : JsonSerializerContext;
