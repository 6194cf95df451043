using ElfActors.Host;
using Microsoft.Extensions.Logging;

namespace ElfActors.Tests.Host;

public sealed class HostLogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("elf-hostlog-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Past_its_size_the_log_rotates_keeping_three_older_files_and_the_newest_line_is_in_host_log()
    {
        var path = Path.Combine(_folder, "host.log");
        using (var log = new HostLog(path, terminal: null, maxBytes: 1_000))
            for (var i = 0; i < 100; i++) log.WriteLine($"line {i:D3} " + new string('x', 90));

        Assert.True(File.Exists(path + ".1") && File.Exists(path + ".2") && File.Exists(path + ".3"));
        Assert.False(File.Exists(path + ".4"));
        foreach (var file in new[] { path, path + ".1", path + ".2", path + ".3" })
            Assert.InRange(new FileInfo(file).Length, 1, 1_000 + 101);
        Assert.EndsWith("line 099 " + new string('x', 90), File.ReadAllLines(path).Last());
        // The files follow each other: .1 ends just before host.log begins.
        var firstOfCurrent = int.Parse(File.ReadAllLines(path)[0][5..8]);
        Assert.Equal(firstOfCurrent - 1, int.Parse(File.ReadAllLines(path + ".1").Last()[5..8]));
    }

    [Fact]
    public void A_foreground_host_writes_the_log_and_its_terminal()
    {
        var path = Path.Combine(_folder, "host.log");
        var terminal = new StringWriter();
        using (var log = new HostLog(path, terminal))
            log.WriteLine("elf serve: serving /somewhere");

        Assert.Equal("elf serve: serving /somewhere" + Environment.NewLine, terminal.ToString());
        Assert.Equal(["elf serve: serving /somewhere"], File.ReadAllLines(path));
    }

    [Fact]
    public void The_last_error_is_kept_for_status_and_warnings_are_not()
    {
        using var provider = new LastErrorLog();
        var logger = provider.CreateLogger("test");

        logger.LogWarning("only a warning");
        Assert.Null(provider.Last);
        logger.LogError(new IOException("disk full"), "Commit failed for {Count} records", 3);

        Assert.Equal("Commit failed for 3 records (IOException: disk full)", provider.Last?.Message);
    }
}
