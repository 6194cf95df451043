using System.Runtime.InteropServices;
using System.Text;

namespace ElfActors.Cli;

/// <summary>
/// Console.Out and Console.Error as plain UTF-8 writers on file descriptors 1 and 2, for a command that prints a few
/// lines and exits. System.Console's own writers set the terminal up on their first write (a pipe and a thread for
/// its signal handling, the terminfo database), which such a process never needs (docs/adr/0022).
/// </summary>
internal static partial class PlainConsole
{
    public static void Use()
    {
        if (OperatingSystem.IsWindows()) return;
        Console.SetOut(new StreamWriter(new DescriptorStream(1), Utf8) { AutoFlush = true });
        Console.SetError(new StreamWriter(new DescriptorStream(2), Utf8) { AutoFlush = true });
    }

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// write(2) at the descriptor's own offset, as a shell's `echo` does: a file that the caller's shell shares with
    /// other commands (`{ echo a; elf …; } &gt; out`) is appended to, never written at a position of our own
    /// (FileStream's pwrite would overwrite what came before). Like System.Console, a reader gone away (EPIPE) is ignored.
    /// </summary>
    private sealed unsafe partial class DescriptorStream(int descriptor) : Stream
    {
        private const int Eintr = 4, Epipe = 32;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            fixed (byte* data = buffer)
            {
                var done = 0;
                while (done < buffer.Length)
                {
                    var written = write(descriptor, data + done, buffer.Length - done);
                    if (written >= 0)
                    {
                        done += (int)written;
                        continue;
                    }
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Eintr) continue;
                    if (errno == Epipe) return;
                    throw new IOException($"could not write to file descriptor {descriptor}: {Marshal.GetPInvokeErrorMessage(errno)}");
                }
            }
        }

        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        [LibraryImport("libc", SetLastError = true)]
        private static partial nint write(int descriptor, byte* buffer, nint count);
    }
}
