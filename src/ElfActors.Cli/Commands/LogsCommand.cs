using System.CommandLine;
using System.Text;
using ElfActors.Contracts.CommandLine;

namespace ElfActors.Cli.Commands;

/// <summary>`elf logs [--follow] [--lines N]`: the host's log, memory/.elf/host.log (rotated by size: host.log.1 …).</summary>
internal static class LogsCommand
{
    public static Command Create()
    {
        var basePath = ClientRunner.BaseOption();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing what the host logs until interrupted (Ctrl-C)." };
        var lines = new Option<int>("--lines", "-n")
        {
            Description = "How many of the last lines to print first (default 50).",
            DefaultValueFactory = _ => 50,
        }.InRange(0, 1_000_000);
        var command = new Command("logs", """
            Print the host's log for a memory (memory/.elf/host.log; older parts in host.log.1 …): start-up, stops, idle
            exits, and every warning and error. Never starts a host.
            """)
        {
            basePath, follow, lines,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var paths = ClientRunner.Paths(parse, basePath);
            var log = HostAddress.LogFile(paths);
            if (!File.Exists(log) && !parse.GetValue(follow))
            {
                await Console.Error.WriteLineAsync($"elf logs: no log yet ({log}): no host has run for {paths.BasePath}");
                return ExitCodes.Success;
            }
            var position = PrintTail(log, parse.GetValue(lines));
            if (!parse.GetValue(follow)) return ExitCodes.Success;
            await FollowAsync(log, position, cancellation);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Prints the last <paramref name="count"/> lines; returns the file's length when read (where following starts).</summary>
    private static long PrintTail(string log, int count)
    {
        if (!File.Exists(log)) return 0;
        using var file = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(file, Encoding.UTF8);
        var last = new Queue<string>();
        while (reader.ReadLine() is { } line)
        {
            if (count == 0) continue;
            if (last.Count == count) last.Dequeue();
            last.Enqueue(line);
        }
        foreach (var line in last) Console.Out.WriteLine(line);
        Console.Out.Flush();
        return file.Length;
    }

    /// <summary>
    /// Prints what is appended to the log, waiting for the folder's change notifications (inotify) between reads rather
    /// than polling; a rotation (the file replaced by a new, shorter one) starts again at its beginning.
    /// </summary>
    private static async Task FollowAsync(string log, long position, CancellationToken cancellation)
    {
        using var changed = new SemaphoreSlim(0);
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(log)!, Path.GetFileName(log) + "*")
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        FileSystemEventHandler signal = (_, _) => changed.Release();
        watcher.Changed += signal;
        watcher.Created += signal;
        watcher.Renamed += (_, _) => changed.Release();
        watcher.EnableRaisingEvents = true;
        var buffer = new byte[64 * 1024];
        using var stdout = Console.OpenStandardOutput();
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                if (File.Exists(log))
                {
                    using var file = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    if (file.Length < position) position = 0; // rotated
                    file.Position = position;
                    int read;
                    while ((read = await file.ReadAsync(buffer, cancellation)) > 0)
                    {
                        await stdout.WriteAsync(buffer.AsMemory(0, read), cancellation);
                        position += read;
                    }
                }
                // A missed notification costs at most a minute's delay, never a lost line.
                await changed.WaitAsync(TimeSpan.FromMinutes(1), cancellation);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
