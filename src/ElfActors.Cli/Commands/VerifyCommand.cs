using System.CommandLine;
using ElfActors.Contracts.Wire;

namespace ElfActors.Cli.Commands;

internal static class VerifyCommand
{
    public static Command Create()
    {
        var repair = new Option<bool>("--repair")
        {
            Description = "Re-render missing record files from the database and commit records missing from git; says what it did. Never deletes anything.",
        };
        var timeout = ClientRunner.TimeoutOption(120, "pending commits before checking");
        var json = ClientRunner.JsonOption();
        var basePath = ClientRunner.BaseOption();
        var command = new Command("verify", """
            Check that the database rows, the record files and git history agree: lists rows without a file,
            files without a row, rows whose file is not in git, files in git without a row, and records committed
            more than once. Exit 0 when consistent, 1 when not. Starts a host when none runs.
            """)
        {
            repair, timeout, json, basePath,
        };
        command.SetAction(async parse =>
        {
            var wait = TimeSpan.FromSeconds(parse.GetValue(timeout));
            var response = await ClientRunner.SendAsync("verify", ClientRunner.Paths(parse, basePath),
                new WireRequest { Command = WireProtocol.Commands.Verify, Repair = parse.GetValue(repair), TimeoutSeconds = wait.TotalSeconds },
                wait * 2, startHost: true);
            if (response is null) return ExitCodes.HostUnreachable;
            if (parse.GetValue(json))
            {
                ClientRunner.PrintJson(response);
                return response.Verify is null ? ClientRunner.Fail("verify", response) : ExitCodes.For(response.Status);
            }
            if (response.Verify is not { } result) return ClientRunner.Fail("verify", response);

            foreach (var repairLine in result.Repairs) Console.WriteLine("repair: " + repairLine);
            Console.WriteLine($"{result.Rows} rows, {result.Files} files, {result.TrackedFiles} in git, {result.Pending} waiting for a commit");
            Print("rows without a file", result.RowsWithoutFile);
            Print("files without a row", result.FilesWithoutRow);
            Print("rows whose file is not in git", result.RowsNotInGit);
            Print("files in git without a row", result.InGitWithoutRow);
            Print("records in more than one commit", result.InSeveralCommits);
            Print("acknowledged records not reachable from the branch's tip", result.Unreachable);
            Print("records whose file was edited since it was written", result.Modified);
            Print("records a person deleted with a commit of their own (kept deleted)", result.Deleted);
            Console.WriteLine(result.Consistent ? "consistent" : "NOT consistent" + (parse.GetValue(repair) ? "" : " (elf verify --repair fixes what it safely can)"));
            return result.Consistent ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    private static void Print(string heading, IReadOnlyList<string> items)
    {
        if (items.Count == 0) return;
        Console.WriteLine($"{heading} ({items.Count}):");
        foreach (var item in items.Take(50)) Console.WriteLine("  " + item);
        if (items.Count > 50) Console.WriteLine($"  … and {items.Count - 50} more (--json lists all)");
    }
}
