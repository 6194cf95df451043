using System.Configuration.Internal;
using System.Reflection;

namespace ElfActors.Host;

/// <summary>
/// Akka's <c>ActorSystem.Create</c> always asks .NET's System.Configuration for an app.config <c>akka</c> section
/// (<c>ConfigurationFactory.Load</c>, even when a configuration is given). Answering it looks for and parses
/// elf-host.dll.config, hashes the executable's path and loads System.Private.Uri and System.Net.WebClient: code and
/// memory an idle host keeps for good (about 3 MiB of RSS, 2 MiB private, measured), for a section ElfActors never uses
/// (its configuration is HOCON: hocon/elf.hocon, the memory's elf.hocon, --config). elf-host answers "no such section"
/// without reading anything (docs/adr/0042); System.Private.Xml still loads, for the empty section Akka then makes.
/// Not done in <see cref="EmbeddedHost"/>: an application that embeds ElfActors keeps its own app.config.
/// </summary>
internal sealed class NoAppConfig : IInternalConfigSystem
{
    public object? GetSection(string configKey) => null;

    public void RefreshConfig(string sectionName)
    {
    }

    public bool SupportsUserConfig => false;

    /// <summary>Installs it as this process's configuration system, before anything asks; false where .NET no longer allows it.</summary>
    public static bool Install()
    {
        var set = typeof(System.Configuration.ConfigurationManager).GetMethod("SetConfigurationSystem", BindingFlags.NonPublic | BindingFlags.Static,
            [typeof(IInternalConfigSystem), typeof(bool)]);
        if (set is null) return false;
        try
        {
            set.Invoke(null, [new NoAppConfig(), true]);
            return true;
        }
        catch (TargetInvocationException)
        {
            return false; // already set up: something asked first
        }
    }
}
