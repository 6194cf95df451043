using System.Collections.Concurrent;

namespace ElfActors.Core.Git;

/// <summary>
/// The one thread on which a fast writer writes its batches' packs, while the committer's thread builds git's new index
/// for the same batch (docs/adr/0072). Its own long-lived thread, started with the first pack, not the thread pool's:
/// <see cref="PackWriter"/>'s scratch buffer is per thread and grows to the batch's largest object (the records
/// folder's tree, megabytes at 50,000 records), so it is kept and reused here instead of allocated again on whichever
/// pool thread ran the next pack. One pack at a time, in the order asked.
/// </summary>
internal sealed class PackThread : IDisposable
{
    private readonly BlockingCollection<(Func<string?> Write, TaskCompletionSource<string?> Done)> _packs = new();
    private Thread? _thread;

    /// <summary>Runs <paramref name="write"/> on the pack thread; the task ends with its result or its exception.</summary>
    public Task<string?> Start(Func<string?> write)
    {
        if (_thread is null)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "elf-pack" };
            _thread.Start();
        }
        var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _packs.Add((write, done));
        return done.Task;
    }

    private void Run()
    {
        foreach (var (write, done) in _packs.GetConsumingEnumerable())
        {
            try
            {
                done.SetResult(write());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
    }

    public void Dispose()
    {
        _packs.CompleteAdding();
        _thread?.Join(TimeSpan.FromSeconds(10));
    }
}
