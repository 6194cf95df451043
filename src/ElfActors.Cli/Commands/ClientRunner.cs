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

    /// <summary>
    /// Sends one request, starting a host first when <paramref name="startHost"/> and none answers.
    /// Returns the response, or null after printing why the host could not be reached (exit 3).
    /// </summary>
    public static async Task<WireResponse?> SendAsync(string command, MemoryPaths paths, WireRequest request, TimeSpan timeout, bool startHost)
    {
        // A host that is shutting down refuses new records; the request (same request id) goes to the next host.
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var response = await SendOnceAsync(command, paths, request, timeout, startHost);
            if (!startHost || response?.Error != WireProtocol.Errors.ShuttingDown || DateTime.UtcNow > deadline) return response;
            await Task.Delay(100);
        }
    }

    private static async Task<WireResponse?> SendOnceAsync(string command, MemoryPaths paths, WireRequest request, TimeSpan timeout, bool startHost)
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
                await Console.Error.WriteLineAsync($"elf {command}: {error}");
                return null;
            }
        }
        else
        {
            client = await HostConnector.TryConnectAsync(paths);
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
                await Console.Error.WriteLineAsync($"elf {command}: the host did not answer within {timeout.TotalSeconds:0.#}s");
            }
            catch (Exception e) when (e is IOException or FrameException)
            {
                await Console.Error.WriteLineAsync($"elf {command}: lost the connection to the host: {e.Message}");
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
            Console.Error.WriteLine($"elf {command}: {message}");
        }
        return ExitCodes.For(response.Status);
    }
}
