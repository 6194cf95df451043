using System.Globalization;
using System.Text;

namespace ElfActors.Host.Simulation;

/// <summary>Renders a simulation like the seed note's before/after table.</summary>
public static class SimulationTable
{
    public static string Render(SimulationReport r)
    {
        var text = new StringBuilder();
        var rule = new string('═', 79);
        text.AppendLine(rule);
        text.AppendLine(Invariant($"ElfActors simulate: {r.Writers} concurrent recorders (in-process)"));
        text.AppendLine("Memory: " + r.BasePath);
        if (r.WarmUp > 0) text.AppendLine(Invariant($"After {r.WarmUp} warm-up records (committed, not counted below)"));
        text.AppendLine(rule);
        Line(text, "Success rate", Invariant($"{r.SuccessRate:0.##}% ({r.Acknowledged}/{r.Writers} acknowledged)"));
        Line(text, "Database", Invariant($"{r.DbRows} rows"));
        Line(text, "Files", Invariant($"{r.Files} files"));
        Line(text, "Git", Invariant($"{r.RecordsInGit} records in {r.Commits} commits") +
            (r.RecordsNotInGit + r.RecordsInSeveralCommits > 0 ? Invariant($" ({r.RecordsNotInGit} missing, {r.RecordsInSeveralCommits} duplicated)") : string.Empty));
        Line(text, "State consistency", Invariant($"{r.StateConsistency:0.##}% (row and file for every record)"));
        Line(text, "Git consistency", Invariant($"{r.GitConsistency:0.##}% (every record in exactly one commit)"));
        Line(text, "Working tree", r.WorkingTreeClean ? "clean (git status --porcelain is empty)" : "NOT clean");
        Line(text, "Ack latency", Invariant($"p50 {r.AckP50Ms:0.0} ms, p99 {r.AckP99Ms:0.0} ms"));
        Line(text, "Record → commit", Invariant($"p50 {r.CommitP50Ms:0.0} ms, p99 {r.CommitP99Ms:0.0} ms"));
        Line(text, "Wall time", Invariant($"{r.WallSeconds:0.000} s"));
        Line(text, "Throughput", Invariant($"{r.RecordsPerSecond:0.#} records/s (committed)") +
            (r.SteadyRecordsPerSecond is { } steady ? Invariant($", {steady:0.#}/s steady (10-90 % of the run") +
                (r.SteadyRecordsPerSecondBetweenEdgeCommits is { } edges ? Invariant($"; {edges:0.#}/s between its edge commits)") : ")") : ""));
        Line(text, "Result", r.Consistent ? "CONSISTENT" : "INCONSISTENT");
        foreach (var error in r.Errors) text.AppendLine("  ! " + error);
        text.AppendLine(rule);
        return text.ToString();
    }

    private static void Line(StringBuilder text, string label, string value) =>
        text.Append("  ").Append((label + ":").PadRight(20)).AppendLine(value);

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
