using System.Globalization;

namespace ElfActors.Benchmarks;

/// <summary>
/// A running process's threads as /proc shows them: each one's name and user + system CPU so far. Used to tell the
/// runtime's tier-up JIT (its tiered-compilation thread, ".NET Tiered Compilation Worker", which /proc names by its
/// first 15 bytes) from the host's own work (ADR 0069).
/// </summary>
internal static class HostThreads
{
    private const string TierUpJitThread = ".NET Tiered Com";

    /// <summary>Each live thread's id, name and CPU in ms (clock ticks of 10 ms); empty where /proc cannot be read.</summary>
    public static IReadOnlyDictionary<int, (string Name, double CpuMs)> Read(int pid)
    {
        var threads = new Dictionary<int, (string, double)>();
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return threads;
        }
        foreach (var task in tasks)
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // utime and stime: the stat's 14th and 15th fields, the 12th and 13th after the name's closing parenthesis.
                var cpu = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10.0;
                threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = (name, cpu);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // the thread ended meanwhile
            }
        }
        return threads;
    }

    /// <summary>
    /// CPU the tiered-compilation thread(s) took between two readings: a thread in both counts its difference, one that
    /// started since counts whole (the runtime ends that thread after a few idle seconds and starts another; one that
    /// started and ended between the readings is missed).
    /// </summary>
    public static double TierUpJitMsSince(IReadOnlyDictionary<int, (string Name, double CpuMs)> before, IReadOnlyDictionary<int, (string Name, double CpuMs)> after) =>
        after.Where(t => t.Value.Name.StartsWith(TierUpJitThread, StringComparison.Ordinal))
            .Sum(t => t.Value.CpuMs - (before.TryGetValue(t.Key, out var earlier) ? earlier.CpuMs : 0));
}
