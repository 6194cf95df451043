using Akka.Configuration;

namespace ElfActors.Actors;

/// <summary>The default configuration (hocon/elf.hocon), embedded so that an embedding host needs no files.</summary>
public static class ElfHocon
{
    public static Config Default { get; } = Load();

    private static Config Load()
    {
        using var stream = typeof(ElfHocon).Assembly.GetManifestResourceStream("ElfActors.elf.hocon")
            ?? throw new InvalidOperationException("the embedded elf.hocon is missing from ElfActors.Actors");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
