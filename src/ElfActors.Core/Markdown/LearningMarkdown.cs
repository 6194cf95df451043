using System.Globalization;
using System.Text;
using ElfActors.Core.Records;

namespace ElfActors.Core.Markdown;

/// <summary>
/// Files of the other learnings types (success, observation, experiment): the failure layout's header lines and
/// summary, a <c>**Type**</c> line, then sections for the agent to fill that suit the type.
/// </summary>
public static class LearningMarkdown
{
    public static string Render(ValidatedLearning learning, DateOnly date)
    {
        var builder = new StringBuilder(512 + learning.Summary.Length);
        builder.Append("# ").Append(learning.Title).Append("\n\n");
        builder.Append("**Type**: ").Append(learning.Type).Append('\n');
        builder.Append("**Domain**: ").Append(learning.Domain).Append('\n');
        builder.Append("**Severity**: ").Append(learning.Severity.ToString(CultureInfo.InvariantCulture)).Append('\n');
        builder.Append("**Tags**: ").Append(learning.Tags).Append('\n');
        builder.Append("**Date**: ").Append(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append("\n\n");
        builder.Append("## Summary\n\n").Append(learning.Summary).Append("\n\n");
        foreach (var (heading, placeholder) in Sections(learning.Type))
            builder.Append("## ").Append(heading).Append("\n\n").Append(placeholder).Append("\n\n");
        builder.Append("## Related\n\n");
        builder.Append("- **Experiments**: \n");
        builder.Append("- **Heuristics**: \n");
        builder.Append("- **Failures**: \n");
        return builder.ToString();
    }

    private static IEnumerable<(string, string)> Sections(string type) => type switch
    {
        LearningTypes.Success =>
        [
            ("What Worked", "[Describe what went well]"),
            ("Why It Worked", "[What made it work?]"),
            ("Reuse", "[Where else does this apply?]"),
        ],
        LearningTypes.Experiment =>
        [
            ("Hypothesis", "[What was expected?]"),
            ("Method", "[How was it tested?]"),
            ("Result", "[What happened?]"),
        ],
        _ =>
        [
            ("Details", "[What was observed, and where?]"),
            ("Implications", "[What does it mean for future work?]"),
        ],
    };
}
