using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using ElfActors.Actors;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ElfActors.Host;

public static class ServeCommand
{
    public static Command Create()
    {
        var basePath = new Option<string?>("--base")
        {
            Description = "Memory base folder (default: $ELF_BASE_PATH, else ~/.claude/emergent-learning). Created if absent.",
        };
        var config = new Option<string[]>("--config")
        {
            Description = "Extra HOCON file(s) overriding hocon/elf.hocon (for example elf.committer.max-batch-size = 200).",
            AllowMultipleArgumentsPerToken = false,
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log at Information level (default: warnings and errors only)." };
        var command = new Command("serve", """
            Run the host for one memory in the foreground: the actors, and the named pipe that `elf` commands talk to.
            SIGTERM or Ctrl-C (or `elf stop`) stops it gracefully: every acknowledged record is committed first.
            Only one host serves a memory; a second one exits 1 and says which process holds it.
            """)
        {
            basePath, config, verbose,
        };
        command.SetAction(async (parse, _) =>
        {
            var paths = MemoryPaths.Resolve(parse.GetValue(basePath));
            foreach (var file in parse.GetValue(config) ?? [])
            {
                if (!File.Exists(file))
                {
                    await Console.Error.WriteLineAsync($"elf serve: the configuration file {file} does not exist");
                    return ExitCodes.InvalidInput;
                }
            }
            return await ServeAsync(paths, new HostSettings
            {
                ServePipe = true,
                ConfigFiles = parse.GetValue(config) ?? [],
                MinimumLogLevel = parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning,
            });
        });
        return command;
    }

    public static async Task<int> ServeAsync(MemoryPaths paths, HostSettings settings)
    {
        if (paths.RefusalReason() is { } refusal)
        {
            await Console.Error.WriteLineAsync("elf serve: " + refusal);
            return ExitCodes.Failure;
        }
        try
        {
            Directory.CreateDirectory(paths.StateDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"elf serve: cannot use {paths.BasePath}: {e.Message}");
            return ExitCodes.Failure;
        }
        if (!HostLock.TryAcquire(paths, out var hostLock, out var holder))
        {
            await Console.Error.WriteLineAsync($"elf serve: another elf host ({holder}) is already serving {paths.BasePath}; not starting a second one");
            return ExitCodes.Failure;
        }
        using (hostLock)
        {
            var options = new ElfActorsOptions { Paths = paths };
            using var host = EmbeddedHost.Build(options, settings);
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            // SignalLifetime turns SIGTERM, Ctrl-C and SIGQUIT into a host stop; the stop drains the outbox.
            lifetime.ApplicationStopping.Register(() =>
                Console.Error.WriteLine("elf serve: stopping; committing every acknowledged record, then exiting"));
            await Console.Error.WriteLineAsync($"elf serve: serving {paths.BasePath} (pid {Environment.ProcessId})");
            await host.RunAsync();
            var pending = Core.Storage.OutboxQueries.Counts(paths).Pending;
            if (pending > 0)
            {
                await Console.Error.WriteLineAsync($"elf serve: stopped with {pending} records not yet committed; they are committed on the next start");
                return ExitCodes.Failure;
            }
            await Console.Error.WriteLineAsync("elf serve: stopped; every acknowledged record is committed");
            return ExitCodes.Success;
        }
    }
}
