using ElfActors.Contracts.CommandLine;
using ElfActors.Host;

StartTrace.Mark("main");
// A cold `elf serve` prepares what its first record needs on the other core meanwhile (docs/adr/0064).
if (HostCommandLine.IsServe(args)) ServeWarmUp.Start();
return await CliRunner.InvokeAsync(HostCommandLine.For(args), args);
