using Akka.Configuration;

namespace ElfActors.Actors;

/// <summary>The default configuration (hocon/elf.hocon), embedded so that an embedding host needs no files.</summary>
public static class ElfHocon
{
    public static Config Default { get; } = Load("elf.hocon");

    /// <summary>Cluster mode's defaults (hocon/cluster.hocon): provider, remoting, split-brain resolver, singleton.</summary>
    public static Config Cluster { get; } = Load("cluster.hocon");

    private static Config Load(string name)
    {
        using var stream = typeof(ElfHocon).Assembly.GetManifestResourceStream("ElfActors." + name)
            ?? throw new InvalidOperationException($"the embedded {name} is missing from ElfActors.Actors");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
