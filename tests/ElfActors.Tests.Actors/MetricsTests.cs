using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ElfActors.Actors;
using ElfActors.Tests.Support;
using static ElfActors.Actors.RecordingProtocol;

namespace ElfActors.Tests.Actors;

public sealed class MetricsTests
{
    [Fact]
    public async Task Recording_and_committing_are_measured_by_the_elfactors_meter()
    {
        var measurements = new ConcurrentDictionary<string, ConcurrentBag<double>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ElfMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, value, _, _) => measurements.GetOrAdd(i.Name, _ => []).Add(value));
        listener.SetMeasurementEventCallback<int>((i, value, _, _) => measurements.GetOrAdd(i.Name, _ => []).Add(value));
        var stages = new ConcurrentBag<string>();
        listener.SetMeasurementEventCallback<double>((i, value, tags, _) =>
        {
            measurements.GetOrAdd(i.Name, _ => []).Add(value);
            foreach (var tag in tags) if (i.Name == "elf.commit.stage" && tag is { Key: "stage", Value: string stage }) stages.Add(stage);
        });
        listener.Start();

        using var memory = new TempMemory();
        await using var host = await ElfTestHost.StartAsync(memory.Paths);
        for (var i = 0; i < 5; i++) Assert.IsType<Recorded>(await host.RecordAsync(Failures.Request(i)));
        Assert.IsType<Rejected>(await host.RecordAsync(Failures.Request(9, title: "")));
        await host.FlushAsync();

        // The meter is process-wide and other tests record too: at least ours must be there.
        Assert.True(measurements["elf.records.acknowledged"].Sum() >= 5);
        Assert.True(measurements["elf.records.rejected"].Sum() >= 1);
        Assert.True(measurements["elf.records.committed"].Sum() >= 5);
        Assert.True(measurements["elf.commits"].Sum() >= 1);
        Assert.True(measurements["elf.ack.latency"].Count >= 5);
        Assert.True(measurements["elf.commit.latency"].Count >= 5);
        Assert.Contains(measurements["elf.commit.batch_size"], size => size >= 1);
        // Where a batch's time went: the committer's stages, the fast writer's inside git, and the mark (after the flush's answer).
        foreach (var stage in new[] { "check", "read-pending", "files", "message", "git.blobs", "git.trees", "git.pack", "git.index", "git.person-git", "git.index-write", "git.branch", "hand-off", "mark" })
            Assert.Contains(stage, stages);
        Assert.Equal(5, host.Options.Monitor.Acknowledged);
        Assert.Equal(5, host.Options.Monitor.Committed);
    }
}
