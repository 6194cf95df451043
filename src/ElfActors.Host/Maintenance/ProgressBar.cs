namespace ElfActors.Host.Maintenance;

/// <summary>A one-line progress bar on a terminal (stderr), redrawn in place at most every 100 ms.</summary>
internal sealed class ProgressBar(TextWriter output, string label)
{
    private const int Width = 30;
    private long _lastDraw;

    public void Report(int done, int total, int commits)
    {
        var now = Environment.TickCount64;
        if (done < total && now - _lastDraw < 100) return;
        _lastDraw = now;
        var filled = total == 0 ? Width : (int)((long)done * Width / total);
        output.Write($"\r{label} [{new string('#', filled)}{new string('.', Width - filled)}] {done}/{total} records, {commits} commits ");
        output.Flush();
    }

    public void Done() => output.WriteLine();
}
