using System.Diagnostics;

namespace ElfActors.Contracts;

/// <summary>What a program returned: its exit code first, and what it printed.</summary>
public readonly record struct ProgramResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// The one way ElfActors runs another program and reads what it prints (git through GitCli, `elf --version` and git in
/// `elf doctor`, systemctl and launchctl in `elf service`): both output streams read at once (a full pipe never blocks
/// the program), no shell, optional standard input, environment and time limit.
/// </summary>
public static class ProgramRunner
{
    /// <summary>Runs <paramref name="file"/> to its end. Throws <see cref="System.ComponentModel.Win32Exception"/> when it
    /// cannot be started (not found, not executable): callers say what that means for them.</summary>
    /// <param name="environment">Changes to the inherited environment: a null value removes the variable.</param>
    /// <param name="standardInput">Writes the program's standard input, which is then closed; a program that exits
    /// before reading it all is not an error here (its exit code and stderr say why).</param>
    /// <param name="timeout">Kills the program (and its children) after this long and answers exit code -1.</param>
    /// <param name="background">Runs it at the lowest CPU priority (housekeeping that must not slow anything down).</param>
    public static ProgramResult Run(string file, IReadOnlyList<string> arguments, string? workingDirectory = null,
        IEnumerable<KeyValuePair<string, string?>>? environment = null, Action<TextWriter>? standardInput = null,
        TimeSpan? timeout = null, bool background = false)
    {
        using var process = Start(file, arguments, workingDirectory, environment, redirectInput: standardInput is not null);
        using var redirected = new RedirectedStreams(process);
        if (background)
        {
            try { process.PriorityClass = ProcessPriorityClass.Idle; }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { } // exited already, or not allowed
        }
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (standardInput is not null)
        {
            try
            {
                standardInput(process.StandardInput);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // the program exited before reading all of its input
            }
        }
        if (timeout is { } limit && !process.WaitForExit(limit))
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { } // exited meanwhile
            process.WaitForExit();
            return new ProgramResult(-1, stdout.GetAwaiter().GetResult(),
                $"{Path.GetFileName(file)} {string.Join(' ', arguments.Take(2))} did not finish within {limit.TotalSeconds:0} s; killed");
        }
        process.WaitForExit();
        return new ProgramResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <summary>
    /// Runs <paramref name="file"/> to its end, handing its standard output to <paramref name="onRecord"/> one record at a
    /// time (the text between two <paramref name="separator"/>s) as it is read: a long output (a whole history's
    /// <c>git log</c>) is never one string. The result's Stdout is empty. Throws like <see cref="Run"/> when it cannot start.
    /// </summary>
    public static ProgramResult RunStreamed(string file, IReadOnlyList<string> arguments, char separator, Action<string> onRecord,
        string? workingDirectory = null, IEnumerable<KeyValuePair<string, string?>>? environment = null)
    {
        using var process = Start(file, arguments, workingDirectory, environment, redirectInput: false);
        using var redirected = new RedirectedStreams(process);
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            var buffer = new char[1 << 14];
            var record = new System.Text.StringBuilder();
            int read;
            while ((read = process.StandardOutput.Read(buffer, 0, buffer.Length)) > 0)
            {
                var from = 0;
                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] != separator) continue;
                    record.Append(buffer, from, i - from);
                    onRecord(record.ToString());
                    record.Clear();
                    from = i + 1;
                }
                record.Append(buffer, from, read - from);
            }
            if (record.Length > 0) onRecord(record.ToString());
        }
        catch
        {
            // The handler failed: the program must not outlive its reader.
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { } // exited meanwhile
            throw;
        }
        process.WaitForExit();
        return new ProgramResult(process.ExitCode, string.Empty, stderr.GetAwaiter().GetResult());
    }

    /// <summary>
    /// Closes this process's ends of the program's redirected streams. <see cref="Process.Dispose()"/> does not: it only lets
    /// go of them, and each stays open (a pipe's file descriptor, and on Unix the socket object .NET wraps around it for
    /// asynchronous reads) until a collection finds it and the finalizer thread closes it. A host ran about a dozen git
    /// programs for 20 records and held 22 such pipes until its first collection, the idle trim's, whose finalizer work
    /// (and the JIT's recompiling of the socket and handle disposal code it ran) fell into the idle minute (docs/adr/0079).
    /// Disposed after the process has exited and its output was read to the end.
    /// </summary>
    private readonly struct RedirectedStreams(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (process.StartInfo.RedirectStandardInput) Close(process.StandardInput);
            Close(process.StandardOutput);
            Close(process.StandardError);
        }

        private static void Close(IDisposable stream)
        {
            try
            {
                stream.Dispose();
            }
            catch (IOException)
            {
                // Standard input's last buffered write to a program that exited before reading it (a broken pipe): closed all the same.
            }
        }
    }

    /// <summary>The program started with both output streams redirected, no shell, and the environment's changes applied.</summary>
    private static Process Start(string file, IReadOnlyList<string> arguments, string? workingDirectory,
        IEnumerable<KeyValuePair<string, string?>>? environment, bool redirectInput)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (environment is not null)
            foreach (var (name, value) in environment)
                if (value is null) start.Environment.Remove(name);
                else start.Environment[name] = value;
        return Process.Start(start) ?? throw new System.ComponentModel.Win32Exception($"could not start {file}");
    }
}
