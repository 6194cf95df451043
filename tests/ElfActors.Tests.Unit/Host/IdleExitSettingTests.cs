using ElfActors.Actors;
using ElfActors.Host;

namespace ElfActors.Tests.Host;

public sealed class IdleExitSettingTests
{
    [Fact]
    public void The_shipped_idle_exit_is_a_duration_akka_reads_as_15_minutes()
    {
        // A unit Akka's HOCON does not know ("15min") once stopped every auto-started host at its start.
        Assert.Equal(TimeSpan.FromMinutes(15), ElfHocon.Default.GetTimeSpan(IdleExitService.Setting));
        var shipped = Path.Combine(AppContext.BaseDirectory, "hocon", "elf.hocon");
        if (File.Exists(shipped))
            Assert.Equal(TimeSpan.FromMinutes(15), Akka.Configuration.ConfigurationFactory.ParseString(File.ReadAllText(shipped)).GetTimeSpan(IdleExitService.Setting));
    }
}
