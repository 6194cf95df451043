using ElfActors.Core;

namespace ElfActors.Tests.Support;

/// <summary>A memory base folder in the temp directory, removed afterwards.</summary>
public sealed class TempMemory : IDisposable
{
    public TempMemory()
    {
        BasePath = Path.Combine(Path.GetTempPath(), "elf-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(BasePath);
        Paths = new MemoryPaths(BasePath);
    }

    public string BasePath { get; }
    public MemoryPaths Paths { get; }
    public string FailuresDirectory => Paths.FailuresDirectory;
    public string DatabasePath => Paths.DatabasePath;

    public void Dispose() => Tools.DeleteTree(BasePath);
}
