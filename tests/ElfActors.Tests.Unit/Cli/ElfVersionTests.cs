using System.Reflection;
using ElfActors.Contracts;

namespace ElfActors.Tests.Cli;

/// <summary>The version every request and answer carries (docs/adr/0024) is the build's, read without reflection (docs/adr/0061).</summary>
public sealed class ElfVersionTests
{
    [Fact]
    public void The_version_constant_is_the_assemblys_informational_version()
    {
        var attribute = typeof(ElfVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(ElfBuildVersion.Informational, attribute);
    }
}
