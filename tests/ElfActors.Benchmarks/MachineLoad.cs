using System.Globalization;
using System.Text.Json.Serialization;

namespace ElfActors.Benchmarks;

/// <summary>
/// What the machine did during one measured window: every CPU's busy time (/proc/stat) against the CPU time of the
/// benchmark's own processes (/proc/&lt;pid&gt;/stat). What is left is foreign: another process took CPU while we
/// measured, and the window's figures are not to be trusted. Figures are in cores (1.0 = one core busy all along).
/// </summary>
internal sealed record LoadWindow(double Seconds, double BusyCores, double OwnCores, double LoadAverageBefore, double LoadAverageAfter)
{
    /// <summary>Foreign CPU above which a window is invalid (set by --max-foreign).</summary>
    public static double MaxForeignCores { get; set; } = 0.10;

    public double ForeignCores => Math.Max(0, BusyCores - OwnCores);

    [JsonIgnore]
    public bool Valid => ForeignCores <= MaxForeignCores;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Seconds:0.0} s: busy {BusyCores:0.00} cores, ours {OwnCores:0.00}, foreign {ForeignCores:0.00}{(Valid ? "" : " (INVALID)")}, load {LoadAverageBefore:0.00}→{LoadAverageAfter:0.00}");

    /// <summary>Windows measured one after another, as one (time-weighted; the load average of the first and the last).</summary>
    public static LoadWindow Combine(IReadOnlyList<LoadWindow> windows)
    {
        var seconds = windows.Sum(w => w.Seconds);
        if (seconds <= 0) return windows[0];
        return new LoadWindow(seconds, windows.Sum(w => w.BusyCores * w.Seconds) / seconds, windows.Sum(w => w.OwnCores * w.Seconds) / seconds,
            windows[0].LoadAverageBefore, windows[^1].LoadAverageAfter);
    }

    /// <summary>The worst of several windows by foreign CPU: a comparison is valid only if each of its windows is.</summary>
    public static LoadWindow Worst(IEnumerable<LoadWindow> windows) => windows.MaxBy(w => w.ForeignCores)!;
}

/// <summary>
/// Starts a <see cref="LoadWindow"/>. "Our" processes are this process and its descendants, plus any process whose
/// command line names <paramref name="marker"/> (the benchmark's work folder: a host started in the background by
/// `elf` is re-parented away from us but is still ours) and their descendants. A process's CPU counts its own
/// time and that of the children it reaped, so writers that come and go within the window are counted through
/// their parents. A process of ours that dies inside the window and is reaped by a stranger (a background host
/// stopped in the window) would be counted as foreign: windows end before hosts are stopped.
/// </summary>
internal sealed class MachineLoad
{
    private const double ClockTicksPerSecond = 100; // USER_HZ: /proc/stat and /proc/<pid>/stat count in these on Linux

    private readonly string? _marker;
    private readonly long _started;
    private readonly long _busy;
    private readonly long _own;
    private readonly double _loadAverage;

    private MachineLoad(string? marker)
    {
        _marker = marker;
        _loadAverage = LoadAverage();
        _own = OwnTicks(marker);
        _busy = BusyTicks();
        _started = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    public static MachineLoad Start(string? marker) => new(marker);

    public LoadWindow Stop()
    {
        var busy = BusyTicks();
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var own = OwnTicks(_marker);
        return new LoadWindow(
            Math.Round(seconds, 3),
            Math.Round((busy - _busy) / ClockTicksPerSecond / seconds, 3),
            Math.Round(Math.Max(0, own - _own) / ClockTicksPerSecond / seconds, 3),
            _loadAverage,
            LoadAverage());
    }

    /// <summary>Runs <paramref name="action"/> inside a window.</summary>
    public static async Task<(T Value, LoadWindow Load)> MeasureAsync<T>(string? marker, Func<Task<T>> action)
    {
        var load = Start(marker);
        var value = await action();
        return (value, load.Stop());
    }

    /// <summary>
    /// Waits (at most <paramref name="atMost"/>) until no process whose command line names <paramref name="marker"/> is
    /// left, such as a host stopped a moment ago that is still exiting. A process that exits inside a window takes its CPU
    /// ticks out of /proc with it, so that CPU would be counted as foreign (busy, but no longer ours).
    /// </summary>
    public static async Task WaitUntilNoneRunAsync(string marker, TimeSpan atMost)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < atMost && Running(marker)) await Task.Delay(20);
    }

    private static bool Running(string marker) =>
        Processes().Any(process => process.Pid != Environment.ProcessId && CommandLineNames(process.Directory, marker));

    /// <summary>Every process's id and folder in /proc, this one's too.</summary>
    private static IEnumerable<(int Pid, string Directory)> Processes()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) yield return (pid, directory);
        }
    }

    /// <summary>Whether the process's command line names <paramref name="marker"/>; false when it is gone.</summary>
    private static bool CommandLineNames(string directory, string marker)
    {
        try
        {
            return File.ReadAllText(Path.Combine(directory, "cmdline")).Contains(marker, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone between the listing and the read
        }
    }

    /// <summary>user + nice + system + irq + softirq + steal of every CPU (the first line of /proc/stat).</summary>
    private static long BusyTicks()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long F(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
        return F(1) + F(2) + F(3) + F(6) + F(7) + F(8);
    }

    private static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    private static long OwnTicks(string? marker)
    {
        var processes = new Dictionary<int, (int Parent, long Ticks)>();
        var roots = new HashSet<int> { Environment.ProcessId };
        foreach (var (pid, directory) in Processes())
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                // After the command's closing parenthesis: state, ppid, … utime (14th field of the line), stime, cutime, cstime.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                long F(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
                processes[pid] = ((int)F(1), F(11) + F(12) + F(13) + F(14));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone between the listing and the read
            }
            if (marker is not null && CommandLineNames(directory, marker)) roots.Add(pid);
        }
        var children = processes.ToLookup(p => p.Value.Parent, p => p.Key);
        var ours = new HashSet<int>();
        var pending = new Stack<int>(roots.Where(processes.ContainsKey));
        while (pending.TryPop(out var pid))
        {
            if (!ours.Add(pid)) continue;
            foreach (var child in children[pid]) pending.Push(child);
        }
        return ours.Sum(pid => processes[pid].Ticks);
    }
}
