using ElfActors.Core.Text;

namespace ElfActors.Core.Records;

/// <summary>Applies ELF's rules to a learning of any type, rejecting (never silently fixing) what ELF would have mangled.</summary>
public static class LearningValidator
{
    public const int MaxTitleLength = 500;
    public const int MaxDomainLength = 100;
    public const int MaxSummaryLength = 50_000;
    public const int MaxTagsLength = 1_000;
    public const string DefaultSummary = "No summary provided";

    public static IReadOnlyList<ValidationError> Validate(LearningInput input, out ValidatedLearning? learning)
    {
        var rules = new FieldRules();
        var errors = rules.Errors;
        // Refused rather than stored as garbage; other control characters are stripped as ELF did.
        if (!rules.NoHostileText(("title", input.Title), ("domain", input.Domain), ("severity", input.Severity), ("tags", input.Tags), ("summary", input.Summary), ("row-summary", input.RowSummary)))
        {
            learning = null;
            return errors;
        }
        var title = TextSanitizer.SingleLine(input.Title);
        var domain = TextSanitizer.SingleLine(input.Domain);
        var summary = TextSanitizer.MultiLine(input.Summary);
        var tags = NormaliseTags(input.Tags);

        if (rules.Required("title", title, MaxTitleLength)) rules.NamesAFile("title", title);
        rules.Required("domain", domain, MaxDomainLength);
        if (rules.NoSectionHeading("summary", summary)) rules.Limit("summary", summary, MaxSummaryLength);
        rules.Limit("tags", tags, MaxTagsLength, verb: "are");
        var rowSummary = RowSummary(rules, input.RowSummary);

        if (!Severity.TryParse(input.Severity, out var severity, out var severityError))
            errors.Add(new("severity", severityError!));

        var type = string.IsNullOrWhiteSpace(input.Type) ? LearningTypes.Failure : input.Type.Trim().ToLowerInvariant();
        if (!LearningTypes.All.Contains(type))
            errors.Add(new("type", $"must be one of {string.Join(", ", LearningTypes.All)} (got '{(type.Length <= 40 ? type : type[..40] + "…")}')"));

        learning = errors.Count == 0
            ? new ValidatedLearning(title, domain, severity, tags, summary.Length == 0 ? DefaultSummary : summary) { Type = type, GivenRowSummary = rowSummary }
            : null;
        return errors;
    }

    /// <summary>
    /// The row's own summary (ELF's record-failure.sh keeps <c>echo -e</c> of a sanitised first line, the shim passes
    /// it): one line, kept as given (it may be empty, or differ from the file's), control characters removed.
    /// </summary>
    private static string? RowSummary(FieldRules rules, string? given)
    {
        if (given is null) return null;
        if (given.Contains('\n'))
        {
            rules.Add("row-summary", "must be one line (it is what the learnings row keeps of the summary)");
            return null;
        }
        var line = TextSanitizer.Verbatim(given);
        return rules.Limit("row-summary", line, MaxSummaryLength) ? line : null;
    }

    /// <summary>Tags as ELF stores them: comma separated, each trimmed, empty ones dropped.</summary>
    public static string NormaliseTags(string? tags) =>
        string.Join(',', TextSanitizer.SingleLine(tags)
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
