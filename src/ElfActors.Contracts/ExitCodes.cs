namespace ElfActors.Contracts;

/// <summary>Exit codes of the command-line contract (docs: README, "Command line").</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Any other failure (disk, database, git, a protocol error).</summary>
    public const int Failure = 1;
    /// <summary>Invalid input: a message on stderr, nothing written.</summary>
    public const int InvalidInput = 2;
    /// <summary>No host could be reached, or it did not answer in time.</summary>
    public const int HostUnreachable = 3;

    public static int For(string status) => status switch
    {
        Wire.WireProtocol.Statuses.Ok => Success,
        Wire.WireProtocol.Statuses.Rejected => InvalidInput,
        Wire.WireProtocol.Statuses.Timeout => HostUnreachable,
        _ => Failure,
    };
}
