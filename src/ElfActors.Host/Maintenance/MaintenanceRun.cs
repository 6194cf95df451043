using ElfActors.Actors;

namespace ElfActors.Host.Maintenance;

/// <summary>
/// Runs work that writes a memory outside the actors (import, reindex) under the memory's host lock: while it
/// holds the lock no host can start, and if a host already serves the memory the work is refused, so a memory
/// still has exactly one writer.
/// </summary>
internal static class MaintenanceRun
{
    public static async Task<int> UnderHostLockAsync(string command, MemoryPaths paths, Func<ElfSettings, int> work)
    {
        Posix.UseElfUmask(); // as `elf serve`: what import and reindex create is the user's alone
        if (paths.RefusalReason() is { } refusal)
        {
            await Console.Error.WriteLineAsync($"elf {command}: {refusal}");
            return ExitCodes.Failure;
        }
        Directory.CreateDirectory(paths.StateDirectory);
        HostLock? hostLock;
        string? holder;
        try
        {
            HostLock.TryAcquire(paths, out hostLock, out holder);
        }
        catch (HostAddressException e)
        {
            await Console.Error.WriteLineAsync($"elf {command}: {e.Message}");
            return ExitCodes.Failure;
        }
        if (hostLock is null)
        {
            await Console.Error.WriteLineAsync(
                $"elf {command}: a host ({holder}) serves {paths.BasePath}; stop it first (`elf stop --base {paths.BasePath}`), then run {command} again");
            return ExitCodes.Failure;
        }
        using (hostLock)
        {
            // hocon/elf.hocon beside the binaries wins over the embedded defaults, as for serve.
            var shipped = Path.Combine(AppContext.BaseDirectory, "hocon", "elf.hocon");
            var config = File.Exists(shipped)
                ? Akka.Configuration.ConfigurationFactory.ParseString(File.ReadAllText(shipped)).WithFallback(ElfHocon.Default)
                : ElfHocon.Default;
            var settings = ElfSettings.From(config);
            try
            {
                return work(settings);
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"elf {command}: {e.Message}");
                return ExitCodes.InvalidInput;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException
                                          or Microsoft.Data.Sqlite.SqliteException or Core.Git.GitStoreException)
            {
                await Console.Error.WriteLineAsync($"elf {command}: {e.Message}");
                return ExitCodes.Failure;
            }
        }
    }
}
