using ElfActors.Contracts.CommandLine;
using ElfActors.Host;

StartTrace.Mark("main");
return await CliRunner.InvokeAsync(HostCommandLine.For(args), args);
