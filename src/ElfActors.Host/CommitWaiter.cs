using Akka.Actor;
using ElfActors.Actors;
using ElfActors.Core.Storage;

namespace ElfActors.Host;

/// <summary>Lets a request wait until its record is in a git commit (<c>record-failure --wait-commit</c>).</summary>
public sealed class CommitWaiter
{
    private readonly object _gate = new();
    private readonly Dictionary<long, List<TaskCompletionSource<string>>> _waiting = [];
    private readonly MemoryPaths _paths;
    private readonly TimeSpan? _pollInterval;

    /// <param name="pollInterval">Cluster mode: the committer may run on another node, whose commit events do not
    /// reach this one, so the outbox is also read this often. Null (single-node mode): the event alone.</param>
    public CommitWaiter(ActorSystem system, MemoryPaths paths, TimeSpan? pollInterval = null)
    {
        _paths = paths;
        _pollInterval = pollInterval;
        var listener = system.ActorOf(Props.Create(() => new Listener(this)), "elf-commit-waiter");
        system.EventStream.Subscribe(listener, typeof(CommitterProtocol.RecordsCommitted));
    }

    /// <summary>The record's commit id, or null if it was not committed within <paramref name="timeout"/>.</summary>
    public async Task<string?> WaitAsync(long recordId, TimeSpan timeout)
    {
        var completion = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (!_waiting.TryGetValue(recordId, out var list)) _waiting[recordId] = list = [];
            list.Add(completion);
        }
        try
        {
            // Registered first, then checked: a commit is either already marked in the outbox, or its event is still to come.
            if (OutboxQueries.CommitOf(_paths, recordId) is { } committed) return committed;
            if (_pollInterval is not { } interval) return await completion.Task.WaitAsync(timeout);
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return null;
                try
                {
                    return await completion.Task.WaitAsync(left < interval ? left : interval);
                }
                catch (TimeoutException)
                {
                    if (OutboxQueries.CommitOf(_paths, recordId) is { } polled) return polled;
                }
            }
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            lock (_gate)
            {
                if (_waiting.TryGetValue(recordId, out var list) && list.Remove(completion) && list.Count == 0) _waiting.Remove(recordId);
            }
        }
    }

    private void OnCommitted(CommitterProtocol.RecordsCommitted message)
    {
        lock (_gate)
        {
            foreach (var id in message.RecordIds)
                if (_waiting.TryGetValue(id, out var list))
                    foreach (var completion in list) completion.TrySetResult(message.CommitId);
        }
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(CommitWaiter waiter) => Receive<CommitterProtocol.RecordsCommitted>(waiter.OnCommitted);
    }
}
