using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ElfActors.Benchmarks.Compare;

/// <summary>
/// Watches the branch from outside while a run goes on: every 50 ms, if the tip moved, the record files that
/// the new commits added are stamped with the time they were first seen. Gives record→commit latency for
/// systems that do not report it (granularity: the poll interval plus one `git log`).
/// </summary>
internal sealed class CommitWatcher : IAsyncDisposable
{
    private readonly string _repository;
    private readonly Regex _writer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private string? _seen;

    public CommitWatcher(string repository, string run, string? startCommit)
    {
        _repository = repository;
        _writer = new Regex($"bench-{run}-w(\\d+)-failure", RegexOptions.CultureInvariant);
        _seen = startCommit;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Writer number → Stopwatch timestamp at which its file was first seen in a commit on the branch.</summary>
    public ConcurrentDictionary<int, long> CommittedAt { get; } = new();

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Poll();
            try { await Task.Delay(50, _stop.Token); } catch (OperationCanceledException) { }
        }
        Poll();
    }

    private void Poll()
    {
        var now = Stopwatch.GetTimestamp();
        var tip = MemoryCensus.TryGit(_repository, "rev-parse", "-q", "--verify", "HEAD");
        if (tip is null || tip == _seen) return;
        var range = _seen is null ? tip : _seen + ".." + tip;
        var added = MemoryCensus.TryGit(_repository, "log", "--format=", "--name-only", "--diff-filter=A", range, "--", "memory/failures") ?? "";
        foreach (Match match in _writer.Matches(added)) CommittedAt.TryAdd(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), now);
        _seen = tip;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return; // already stopped
        await _stop.CancelAsync();
        await _loop;
    }
}

/// <summary>Peak resident memory (VmHWM) of one process, read from /proc while it lives.</summary>
internal sealed class PeakMemory : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peakKb;

    public PeakMemory(int pid) => _loop = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            Sample(pid);
            try { await Task.Delay(100, _stop.Token); } catch (OperationCanceledException) { }
        }
    });

    public double? Megabytes => _peakKb == 0 ? null : Math.Round(_peakKb / 1024.0, 1);

    /// <summary>Reads once more now (call just before the process is asked to exit).</summary>
    public void Sample(int pid)
    {
        if (Measure.StatusKilobytes(pid, "VmHWM") is { } kilobytes) _peakKb = Math.Max(_peakKb, kilobytes); // none once it exited: keep the last
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return; // already stopped
        await _stop.CancelAsync();
        await _loop;
    }
}
