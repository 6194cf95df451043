using System.Text;

namespace ElfActors.Host;

/// <summary>
/// The host's log file, memory/.elf/host.log, rotated by size: past <see cref="MaxBytes"/> it becomes host.log.1 (the
/// previous host.log.1 becomes host.log.2, and so on up to <see cref="KeptFiles"/>; the oldest is dropped). Everything
/// the host writes to stderr goes here (its own lines and the logger's); a foreground `elf serve` also keeps its
/// terminal. Thread-safe: one lock around each write.
/// </summary>
public sealed class HostLog : TextWriter
{
    public const long MaxBytes = 10 * 1024 * 1024;
    public const int KeptFiles = 3;

    private readonly string _path;
    private readonly TextWriter? _terminal;
    private readonly object _gate = new();
    private FileStream _file;
    private StreamWriter _writer;

    private readonly long _maxBytes;

    internal HostLog(string path, TextWriter? terminal, long maxBytes = MaxBytes)
    {
        _maxBytes = maxBytes;
        _path = path;
        _terminal = terminal;
        (_file, _writer) = Open(path);
    }

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>
    /// Sends this process's stderr to the memory's log (and on to <paramref name="terminal"/> as well, when given). A
    /// log that cannot be opened leaves stderr as it was: logging never stops a host.
    /// </summary>
    public static void Capture(string path, TextWriter? terminal)
    {
        try
        {
            Console.SetError(new HostLog(path, terminal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"elf serve: cannot write the log {path}: {e.Message}");
        }
    }

    private static (FileStream, StreamWriter) Open(string path)
    {
        var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        return (file, new StreamWriter(file, new UTF8Encoding(false)) { AutoFlush = true });
    }

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        lock (_gate)
        {
            _terminal?.Write(value);
            try
            {
                _writer.Write(value);
                if (_file.Length > _maxBytes) Rotate();
            }
            catch (IOException)
            {
                // A full disk must not take the host down with its log.
            }
        }
    }

    public override void WriteLine(string? value) => Write(value + Environment.NewLine);

    public override void Flush()
    {
        lock (_gate)
        {
            _terminal?.Flush();
            _writer.Flush();
        }
    }

    private void Rotate()
    {
        _writer.Dispose();
        for (var i = KeptFiles - 1; i >= 1; i--)
            if (File.Exists($"{_path}.{i}")) File.Move($"{_path}.{i}", $"{_path}.{i + 1}", overwrite: true);
        File.Move(_path, _path + ".1", overwrite: true);
        (_file, _writer) = Open(_path);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) lock (_gate) _writer.Dispose();
        base.Dispose(disposing);
    }
}
