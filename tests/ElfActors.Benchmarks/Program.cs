using System.CommandLine;
using ElfActors.Benchmarks;
using ElfActors.Contracts.CommandLine;

var root = new RootCommand("ElfActors benchmark harness. Figures are reported as ratios against a baseline measured in the same run.");
root.Subcommands.Add(HotPathBenchmark.Create());
root.Subcommands.Add(StagesBenchmark.Create());
root.Subcommands.Add(IdleBenchmark.Create());
root.Subcommands.Add(ElfActors.Benchmarks.Compare.CompareBenchmark.Create());
root.Subcommands.Add(TargetsBenchmark.Create());
root.Subcommands.Add(ElfActors.Benchmarks.Growth.GrowthBenchmark.Create());
root.Subcommands.Add(ElfActors.Benchmarks.Growth.GenerateCommand.Create());
root.Subcommands.Add(SyncBenchmark.Create());
return await CliRunner.InvokeAsync(root, args);
