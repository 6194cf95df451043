using System.CommandLine;
using System.Text.Json;
using ElfActors.Contracts.Client;
using ElfActors.Contracts.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

/// <summary>Options every client command shares, and the one way they all talk to the host.</summary>
internal static class ClientRunner
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public static Option<string?> BaseOption() => new("--base")
    {
        Description = "Memory base folder (default: $ELF_BASE_PATH, else ~/.claude/emergent-learning).",
    };

    public static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object on stdout." };

    public const int MinTimeoutSeconds = 1, MaxTimeoutSeconds = 86_400;

    public static Option<int> TimeoutOption(int defaultSeconds, string what) => new Option<int>("--timeout")
    {
        Description = $"Seconds to wait for {what} (default {defaultSeconds}).",
        DefaultValueFactory = _ => defaultSeconds,
    }.InRange(MinTimeoutSeconds, MaxTimeoutSeconds);

    public static MemoryPaths Paths(ParseResult parse, Option<string?> baseOption) => MemoryPaths.Resolve(parse.GetValue(baseOption));

    /// <summary>The request id of this process's request (one per `elf` call), for every failure message.</summary>
    private static string? _requestId;

    /// <summary>
    /// Sends one request, starting a host first when <paramref name="startHost"/> and none answers.
    /// Returns the response, or null after printing why the host could not be reached (exit 3). A connection lost
    /// before the answer (a host killed or restarting) is retried with the same request id until the start
    /// deadline: the host answers a request id it has seen with the first record, never a second one.
    /// </summary>
    public static async Task<WireResponse?> SendAsync(string command, MemoryPaths paths, WireRequest request, TimeSpan timeout, bool startHost)
    {
        _requestId = request.RequestId;
        // A host that is shutting down refuses new records; the request (same request id) goes to the next host.
        var deadline = DateTime.UtcNow + StartTimeout;
        var replaced = false;
        var pause = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            WireResponse? response;
            try
            {
                response = await SendOnceAsync(command, paths, request, timeout, startHost);
            }
            catch (LostConnectionException e)
            {
                if (DateTime.UtcNow > deadline)
                {
                    await Console.Error.WriteLineAsync($"elf {command}: lost the connection to the host: {e.Message}{RetryHint()}");
                    return null;
                }
                await Task.Delay(pause);
                pause = pause * 2 > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : pause * 2;
                continue;
            }
            if (response?.Error == WireProtocol.Errors.VersionMismatch)
            {
                // At most once: a host that still differs after a replacement was started by someone else's elf.
                if (replaced || !startHost) return VersionMismatch(paths, response);
                if (await ReplaceOlderHostAsync(command, paths, response) is { } refused) return refused;
                replaced = true;
                continue;
            }
            if (!startHost || response?.Error != WireProtocol.Errors.ShuttingDown || DateTime.UtcNow > deadline) return response;
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The host runs another ElfActors release (docs/adr/0024). An older one is asked to stop, which commits everything it
    /// acknowledged, and the caller's retry starts this release's host; null then. A newer one is left alone: the answer
    /// says what to do.
    /// </summary>
    private static async Task<WireResponse?> ReplaceOlderHostAsync(string command, MemoryPaths paths, WireResponse mismatch)
    {
        var hostVersion = mismatch.HostVersion ?? "unknown";
        if (ElfVersion.Compare(ElfVersion.Current, hostVersion) <= 0) return VersionMismatch(paths, mismatch);
        await Console.Error.WriteLineAsync(
            $"elf {command}: the host for {paths.BasePath} runs ElfActors {hostVersion}, older than this elf ({ElfVersion.Current}): " +
            "stopping it (it commits everything it acknowledged first) and starting this version's host");
        WireResponse? stop;
        try
        {
            stop = await SendOnceAsync(command, paths, new WireRequest { Command = WireProtocol.Commands.Stop }, TimeSpan.FromSeconds(30), startHost: false);
        }
        catch (LostConnectionException)
        {
            stop = null; // the older host hung up as it stopped: wait for it below
        }
        if (stop is not null && stop.Status != WireProtocol.Statuses.Ok) return stop;
        if (!await HostConnector.WaitUntilGoneAsync(paths, TimeSpan.FromSeconds(150)))
            return new WireResponse
            {
                Status = WireProtocol.Statuses.Timeout,
                Message = $"the older host for {paths.BasePath} (ElfActors {hostVersion}) was asked to stop but is still running after 150s (still committing? see elf status)",
            };
        return null;
    }

    private static WireResponse VersionMismatch(MemoryPaths paths, WireResponse mismatch) => new()
    {
        Status = WireProtocol.Statuses.Failed,
        Error = WireProtocol.Errors.VersionMismatch,
        HostVersion = mismatch.HostVersion,
        Message = $"the host for {paths.BasePath} runs ElfActors {mismatch.HostVersion ?? "unknown"}, newer than this elf ({ElfVersion.Current}); " +
            $"nothing was done. Use the newer elf, or run `elf stop --base {paths.BasePath}` to go back to this version's host",
    };
    /// <summary>How to retry without a duplicate: the same request id. Empty for requests without one.</summary>
    public static string RetryHint() =>
        _requestId is { } id ? $" (request id {id}; retry with --request-id {id} to get this record, never a second one)" : "";

    private sealed class LostConnectionException(string message) : Exception(message);

    private static async Task<WireResponse?> SendOnceAsync(string command, MemoryPaths paths, WireRequest request, TimeSpan timeout, bool startHost)
    {
        try
        {
            return await SendOnceOrThrowAsync(command, paths, request, timeout, startHost);
        }
        catch (HostAddressException e)
        {
            // Something else holds the socket's path, or the runtime folder is unsafe: nothing to wait for.
            await Console.Error.WriteLineAsync($"elf {command}: {e.Message}{RetryHint()}");
            return null;
        }
    }

    private static async Task<WireResponse?> SendOnceOrThrowAsync(string command, MemoryPaths paths, WireRequest request, TimeSpan timeout, bool startHost)
    {
        HostClient? client;
        if (startHost && paths.RefusalReason() is { } refusal)
        {
            return new WireResponse { Status = WireProtocol.Statuses.Failed, Message = refusal }; // exit 1: the environment's fault
        }
        if (startHost)
        {
            (client, var error, var environmentFault) = await HostConnector.ConnectOrStartAsync(paths, StartTimeout);
            if (client is null && environmentFault)
                return new WireResponse { Status = WireProtocol.Statuses.Failed, Message = error }; // exit 1: no host could help
            if (client is null)
            {
                await Console.Error.WriteLineAsync($"elf {command}: {error}{RetryHint()}");
                return null;
            }
        }
        else
        {
            (client, var holder) = await HostConnector.FindRunningAsync(paths);
            if (client is null && holder is { } pid)
            {
                await Console.Error.WriteLineAsync($"elf {command}: the host of {paths.BasePath} (pid {pid}) runs but does not answer on {HostAddress.PipeName(paths)}");
                return null;
            }
            if (client is null) return null;
        }
        await using (client)
        {
            try
            {
                // The host answers within the request's own timeout; a little slack covers the round trip.
                return await client.SendAsync(request, timeout + TimeSpan.FromSeconds(15));
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"elf {command}: the host did not answer within {timeout.TotalSeconds:0.#}s{RetryHint()}");
            }
            catch (Exception e) when (e is IOException or FrameException)
            {
                throw new LostConnectionException(e.Message);
            }
            return null;
        }
    }

    /// <summary>A flag's value, else ELF's environment variable for it.</summary>
    public static string? Fallback(string? value, string variable) => value ?? Environment.GetEnvironmentVariable(variable);

    /// <summary>Refuses a request whose required fields are missing, before any host is started (exit 2).</summary>
    public static int Reject(string command, IReadOnlyList<FieldError> missing, bool asJson)
    {
        var rejected = new WireResponse { Status = WireProtocol.Statuses.Rejected, Errors = missing, Message = "invalid input" };
        if (asJson) PrintJson(rejected);
        return Fail(command, rejected);
    }

    public static void PrintJson(WireResponse response) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(response, WireJsonContext.Default.WireResponse));

    /// <summary>Prints a non-ok response's reason on stderr and returns the exit code it maps to.</summary>
    public static int Fail(string command, WireResponse response)
    {
        var message = response.Message ?? response.Error ?? response.Status;
        if (response.Errors is { Count: > 0 } errors)
        {
            Console.Error.WriteLine($"elf {command}: invalid input, nothing was written:");
            foreach (var error in errors) Console.Error.WriteLine($"  {error.Field}: {error.Message}");
        }
        else
        {
            // A refusal on the input is final; anything else may be retried, with the same request id.
            Console.Error.WriteLine($"elf {command}: {message}{(response.Status == WireProtocol.Statuses.Rejected ? "" : RetryHint())}");
        }
        return ExitCodes.For(response.Status);
    }
}
