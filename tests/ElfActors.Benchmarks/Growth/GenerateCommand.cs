using System.CommandLine;
using System.Diagnostics;
using ElfActors.Contracts;
using ElfActors.Contracts.CommandLine;

namespace ElfActors.Benchmarks.Growth;

/// <summary>
/// `generate`: one memory of N records, as <see cref="GrowthBenchmark"/> builds them (<see cref="MemoryGenerator"/>), in as
/// many commits as asked. Few commits make a large memory cheap: each generated commit writes a `memory/failures/` tree of
/// every file so far (ELF's flat folder), so the 100 commits `growth` makes of 1,000,000 records write 100 trees of up to
/// 60 MB (70 minutes); 10 commits write 10. Meant for what does not read the memory's history (`import` reads its files
/// and rows only); `growth` keeps its own shape (max(1,000, N/100) records per commit).
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var records = new Option<int>("--records") { Description = "Records in the memory.", Required = true }.InRange(1, 10_000_000);
        var commits = new Option<int>("--commits") { Description = "Commits to make them in (records split evenly; default 100, as `growth`).", DefaultValueFactory = _ => 100 }.InRange(1, 100_000);
        var gc = new Option<bool>("--gc") { Description = "Run `git gc` afterwards, as `growth` does (slow at a million files)." };
        var folder = new Argument<string>("folder") { Description = "The memory's base folder (must not exist yet)." };
        var command = new Command("generate", "Generate one memory of N failure records in C commits (files, index.db rows, git history), for measuring a step on it.")
        {
            records, commits, gc, folder,
        };
        command.SetAction(parse =>
        {
            var path = Path.GetFullPath(parse.GetValue(folder)!);
            if (Directory.Exists(path) || File.Exists(path))
            {
                Console.Error.WriteLine($"{path} exists; give a new folder");
                return ExitCodes.InvalidInput;
            }
            var count = parse.GetValue(records);
            var perCommit = (count + parse.GetValue(commits) - 1) / parse.GetValue(commits);
            var clock = Stopwatch.StartNew();
            MemoryGenerator.Generate(path, count, perCommit, done => Console.Error.WriteLine($"    {done:N0} records, {clock.Elapsed.TotalSeconds:N0} s"));
            if (parse.GetValue(gc)) Compare.Git.Run(path, "gc", "-q");
            Console.WriteLine($"{path}: {count:N0} records in {(count + perCommit - 1) / perCommit} commits, {clock.Elapsed.TotalSeconds:N1} s");
            return 0;
        });
        return command;
    }
}
