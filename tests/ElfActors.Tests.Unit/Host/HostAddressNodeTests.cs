using ElfActors.Tests.Support;

namespace ElfActors.Tests.Host;

/// <summary>The cluster node is the paths' own (no process-wide static): each node of one memory has its own pipe, lock and log.</summary>
public sealed class HostAddressNodeTests
{
    [Fact]
    public void A_node_from_ELF_NODE_names_its_own_pipe_lock_and_log_and_single_node_mode_has_none()
    {
        using var memory = new TempMemory();
        var single = MemoryPaths.Resolve(memory.BasePath, _ => null);
        var node = MemoryPaths.Resolve(memory.BasePath, name => name == HostAddress.NodeVariable ? " 4053 " : null);

        Assert.Null(single.Node);
        Assert.Equal("4053", node.Node);
        Assert.Equal(single.BasePath, node.BasePath);
        Assert.NotEqual(HostAddress.PipeName(single), HostAddress.PipeName(node));
        Assert.NotEqual(HostAddress.LockFile(single), HostAddress.LockFile(node));
        Assert.Equal(Path.Combine(single.StateDirectory, "host.log"), HostAddress.LogFile(single));
        Assert.Equal(Path.Combine(node.StateDirectory, "host-4053.log"), HostAddress.LogFile(node));
        // What `elf serve --cluster-port 4053` sets is what a client with ELF_NODE=4053 reaches.
        Assert.Equal(HostAddress.PipeName(node), HostAddress.PipeName(single with { Node = "4053" }));
    }
}
