using System.CommandLine;
using System.Text.Json;

namespace ElfActors.Host.Doctor;

/// <summary>`elf doctor [--base DIR] [--json]`: the install and the memory checked, a line per check (docs/cli.md#doctor).</summary>
public static class DoctorCommand
{
    public const string Description = """
        Check the install and the memory, read-only: elf and elf-host of one release, git present and recent, the runtime
        folder private, the host (running or not, its release), the repository (object format, detached HEAD, filters,
        sparse checkout, git locks and who holds them), memory/index.db (quick_check) and ELF's schema, the shims of an
        adopted ELF install and the elf they find, free disk space. One line per check: ok, info, warn or fail, with the
        fix. Exit codes: 0 nothing needs fixing (warnings included); 1 at least one check failed.
        """;

    public static Command Create()
    {
        var basePath = new Option<string?>("--base") { Description = "The memory's base folder (default: $ELF_BASE_PATH, else ~/.claude/emergent-learning)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout: {\"version\":1,\"status\":\"ok\"|\"failed\",\"checks\":[{name,level,message,fix}]}." };
        var command = new Command("doctor", Description) { basePath, json };
        command.SetAction(async parse =>
        {
            var context = new DoctorContext(MemoryPaths.Resolve(parse.GetValue(basePath)), AppContext.BaseDirectory,
                Environment.GetEnvironmentVariable, DateTimeOffset.UtcNow);
            var checks = await MemoryDoctor.RunAsync(context);
            var failed = checks.Any(c => c.Level == DoctorLevel.Fail);
            if (parse.GetValue(json)) WriteJson(checks, failed);
            else Print(checks, context.Memory);
            return failed ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
    }

    private static void Print(IReadOnlyList<DoctorCheck> checks, MemoryPaths memory)
    {
        Console.WriteLine($"elf doctor: {memory.BasePath}");
        foreach (var check in checks)
        {
            Console.WriteLine($"{check.LevelWord,-4}  {check.Name}: {check.Message}");
            if (check.Fix is { } fix && check.Level != DoctorLevel.Ok) Console.WriteLine($"      fix: {fix}");
        }
        var failures = checks.Count(c => c.Level == DoctorLevel.Fail);
        var warnings = checks.Count(c => c.Level == DoctorLevel.Warn);
        Console.WriteLine(failures == 0
            ? warnings == 0 ? "nothing to fix" : $"{warnings} warning{(warnings == 1 ? "" : "s")}, nothing that must be fixed"
            : $"{failures} problem{(failures == 1 ? "" : "s")} to fix, {warnings} warning{(warnings == 1 ? "" : "s")}");
    }

    private static void WriteJson(IReadOnlyList<DoctorCheck> checks, bool failed)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", 1);
            writer.WriteString("status", failed ? "failed" : "ok");
            writer.WriteStartArray("checks");
            foreach (var check in checks)
            {
                writer.WriteStartObject();
                writer.WriteString("name", check.Name);
                writer.WriteString("level", check.LevelWord);
                writer.WriteString("message", check.Message);
                if (check.Fix is { } fix && check.Level != DoctorLevel.Ok) writer.WriteString("fix", fix);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }
}
