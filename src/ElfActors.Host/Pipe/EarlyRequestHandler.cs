using ElfActors.Actors;
using ElfActors.Contracts.Wire;
using ElfActors.Core;
using ElfActors.Core.Records;
using ElfActors.Core.Storage;

namespace ElfActors.Host.Pipe;

/// <summary>
/// `elf serve`'s requests while its actor system starts (docs/adr/0053). A record of a kind with a file of its own is
/// recorded here with the recorders' own domain code (validate → row and outbox entry in one SQLite transaction → the
/// file → the answer), one at a time, on an index connection of its own; everything else (heuristics, which one writer
/// per file appends, --wait-commit, status, flush, stop …) waits for the actors. <see cref="HandOffAsync"/> ends this:
/// every record it acknowledged is in the outbox before it rings the committer, and what waited goes to the actors.
/// </summary>
public sealed class EarlyRequestHandler : IWireRequestHandler, IDisposable
{
    private readonly MemoryPaths _paths;
    private readonly ElfSettings _settings;
    private readonly ElfMonitor _monitor;
    private readonly TimeProvider _clock;
    // Held while a record is written; the hand-off takes it once to know that none is being written any more.
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly TaskCompletionSource<IWireRequestHandler> _actors = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MemoryIndex? _index;
    private volatile bool _handedOff;
    private long _recorded;

    /// <param name="index">The index the memory's preparation opened (docs/adr/0057); this handler owns it from here.</param>
    public EarlyRequestHandler(MemoryPaths paths, ElfSettings settings, ElfMonitor monitor, TimeProvider clock, MemoryIndex index)
    {
        _paths = paths;
        _settings = settings;
        _monitor = monitor;
        _clock = clock;
        _index = index;
    }

    /// <summary>Whether the actors serve now (or the host failed to start): nothing more is recorded here.</summary>
    public bool HandedOff => _handedOff;

    /// <summary>
    /// Runs what the first record request runs before it writes (its JSON read, validated, a response's JSON written),
    /// on a sample and writing nothing, so that its code is compiled on another core while the memory is prepared.
    /// </summary>
    public static void WarmUp()
    {
        try
        {
            var request = FrameCodec.DecodeRequest(FrameCodec.Encode(new WireRequest
            {
                Command = WireProtocol.Commands.RecordFailure,
                RequestId = RequestId.New(),
                ClientVersion = ElfVersion.Current,
                Failure = new FailureFields("Warm-up", "warm-up", "3", "a,b", "not recorded"),
            }));
            if (RequestHandler.InputOf(request).Input is { } input)
                input.Kind.Validate(input, DateOnly.FromDateTime(DateTime.Now), out _);
            FrameCodec.Encode(RequestHandler.ResponseOf(new RecordingProtocol.Recorded(1, "memory/failures/warm-up.md", Duplicate: false), request.RequestId!)
                with { HostVersion = ElfVersion.Current });
            // The outbox row's content hash (SHA-1 through OpenSSL): its first use loads the runtime's cryptography.
            Core.Storage.RecordKeys.ContentHash("warm-up");
        }
        catch (Exception)
        {
            // Only a head start: the request itself compiles whatever this did not.
        }
    }

    /// <summary>Records acknowledged (or answered as duplicates) here.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    public async Task<WireResponse> HandleAsync(WireRequest request)
    {
        if (RequestHandler.VersionRefusal(request) is { } refusal) return refusal with { HostVersion = ElfVersion.Current };
        if (!_handedOff && RequestHandler.IsRecord(request) && !request.WaitCommit && RequestHandler.InputOf(request) is var (input, what)
            && (input is null || !input.Kind.Appends))
        {
            if (input is null) return RequestHandler.MissingFields(what) with { HostVersion = ElfVersion.Current };
            var requestId = request.RequestId ?? RequestId.New();
            if (await RecordAsync(requestId, input) is { } reply)
                return RequestHandler.ResponseOf(reply, requestId) with { HostVersion = ElfVersion.Current };
        }
        return await (await _actors.Task).HandleAsync(request);
    }

    /// <summary>Records one record here; null when it is the actors' to record (handed off meanwhile, or the index file is not the one open here).</summary>
    private async Task<RecordingProtocol.RecordReply?> RecordAsync(string requestId, IRecordInput input)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var created = DateOnly.FromDateTime(_clock.GetLocalNow().DateTime);
        var errors = input.Kind.Validate(input, created, out var draft).ToList();
        if (!RequestId.IsValid(requestId, out var requestIdError)) errors.Add(new ValidationError("request-id", requestIdError!));
        if (errors.Count > 0) return Count(new RecordingProtocol.Rejected(errors), started);
        await _writing.WaitAsync();
        try
        {
            if (_handedOff || Index() is not { } index) return null;
            StartTrace.Mark("  early: validated, index checked");
            InsertOutcome outcome;
            try
            {
                outcome = index.InsertRecords([new RecordInsert(requestId, draft!)], _clock.GetUtcNow())[0];
            }
            catch (Exception e)
            {
                // The transaction rolled back: nothing of it was stored.
                DropIndex();
                return Count(new RecordingProtocol.Failed("the index (memory/index.db) could not be written: " + e.Message), started);
            }
            StartTrace.Mark("  early: row and outbox stored");
            switch (outcome)
            {
                case InsertOutcome.Inserted inserted:
                    if (RecordFiles.Create(_paths, _settings.FsyncFiles, inserted) is { } cannotPlace)
                    {
                        // The row is stored but the file cannot be: take the row back before answering.
                        try
                        {
                            index.DeleteRecords(draft!.Kind.RowTable, [inserted.RecordId]);
                        }
                        catch (Exception e)
                        {
                            DropIndex();
                            return Count(new RecordingProtocol.Failed($"{cannotPlace}; undoing the row also failed: {e.Message}"), started);
                        }
                        return Count(new RecordingProtocol.Failed(cannotPlace), started);
                    }
                    Interlocked.Increment(ref _recorded);
                    return Count(new RecordingProtocol.Recorded(inserted.RecordId, inserted.RelativePath, Duplicate: false), started);
                case InsertOutcome.Duplicate duplicate:
                    // A retry: the first record answers. Its file is put back if a crash lost it.
                    if (RecordFiles.RestoreIfLost(_paths, _settings.FsyncFiles, duplicate) is { } cannotRestore)
                        return Count(new RecordingProtocol.Failed(cannotRestore), started);
                    Interlocked.Increment(ref _recorded);
                    return Count(new RecordingProtocol.Recorded(duplicate.RecordId, duplicate.RelativePath, Duplicate: true), started);
                default:
                    return Count(new RecordingProtocol.Failed(((InsertOutcome.Failed)outcome).Reason), started);
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    private RecordingProtocol.RecordReply Count(RecordingProtocol.RecordReply reply, long started)
    {
        ElfMetrics.CountReply(reply, _monitor, started);
        return reply;
    }

    /// <summary>
    /// The index to write to: the one opened at the start while it is still the file at its path. A file deleted, replaced
    /// or overwritten under the host is the index writer's to put back or rebuild: from then on the actors record.
    /// </summary>
    private MemoryIndex? Index()
    {
        if (_index is null) return null;
        var kept = IndexFileGuard.KeepAtItsPath(_index, _paths, _settings.Index, _clock, restore: false, message => Console.Error.WriteLine("elf serve: " + message));
        if (kept is null) DropIndex();
        else _index = kept;
        return _index;
    }

    private void DropIndex()
    {
        _index?.Dispose();
        _index = null;
    }

    /// <summary>
    /// The actors are up and the pipe server hands new requests to <paramref name="actors"/>: once no record is being
    /// written here, the committer is rung (every record acknowledged here is in the outbox by then, so a committer that
    /// read the outbox before one of them was stored reads it again), and the requests waiting here go to the actors.
    /// </summary>
    public async Task HandOffAsync(RequestHandler actors)
    {
        _handedOff = true;
        await _writing.WaitAsync();
        try
        {
            DropIndex();
        }
        finally
        {
            _writing.Release();
        }
        if (Recorded > 0) await actors.WakeCommitterAsync();
        _actors.TrySetResult(actors);
    }

    /// <summary>The host did not start: what waits for the actors is answered with the reason.</summary>
    public void Fail(Exception reason)
    {
        _handedOff = true;
        _actors.TrySetException(reason);
    }

    public void Dispose()
    {
        _handedOff = true;
        _writing.Wait();
        DropIndex();
        _writing.Release();
    }
}
