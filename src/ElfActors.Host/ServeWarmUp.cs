namespace ElfActors.Host;

/// <summary>
/// What a cold `elf serve` needs before its first acknowledgement and can prepare without writing anything, run on the
/// other core from the moment the process starts, while this one parses the arguments, takes the host lock, reads the
/// configuration and prepares the memory (docs/adr/0064): `git --version` (the repository check's first question, read
/// once per process, and the process-spawning code the check's `git rev-parse` then finds compiled), SQLite's code on a
/// database in memory (the index's open and migrations find it loaded), and a record request's own code on a sample
/// (its JSON, validation, content hash and response). One thread, in the order the start needs them; a failure only
/// loses the head start.
/// </summary>
public static class ServeWarmUp
{
    public static void Start()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "elf warm-up" };
        thread.Start();
    }

    private static void Run()
    {
        Step(() => _ = Core.Git.GitCli.Version, "  (beside) git version read");
        Step(Core.Storage.MemoryIndex.WarmUp, "  (beside) index code warmed");
        Step(Pipe.EarlyRequestHandler.WarmUp, "  (beside) first request's code warmed");
    }

    private static void Step(Action step, string phase)
    {
        try
        {
            step();
        }
        catch (Exception)
        {
            // Only a head start: the start itself does whatever this did not.
        }
        StartTrace.Mark(phase);
    }
}
