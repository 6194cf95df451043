using ElfActors.Core.Text;

namespace ElfActors.Core.Records;

/// <summary>Applies ELF's rules to a failure, rejecting (never silently fixing) what ELF would have mangled.</summary>
public static class FailureValidator
{
    public const int MaxTitleLength = 500;
    public const int MaxDomainLength = 100;
    public const int MaxSummaryLength = 50_000;
    public const int MaxTagsLength = 1_000;
    public const string DefaultSummary = "No summary provided";

    public static IReadOnlyList<ValidationError> Validate(FailureInput input, out ValidatedFailure? failure)
    {
        var errors = new List<ValidationError>();
        // Invalid UTF-8 in arguments or the environment reaches .NET as U+FFFD: refuse it rather than store garbage.
        // The same for text a markdown reader would act on (see MarkupPolicy).
        foreach (var (field, value) in new[] { ("title", input.Title), ("domain", input.Domain), ("severity", input.Severity), ("tags", input.Tags), ("summary", input.Summary) })
        {
            if (value?.Contains('\uFFFD') == true) errors.Add(new(field, "is not valid UTF-8 (it contains bytes that are not text, shown as U+FFFD)"));
            // Other control characters are stripped as ELF did; a NUL is never text, only a truncation attack.
            else if (value?.Contains('\0') == true) errors.Add(new(field, "contains a NUL character"));
            else if (value is not null && MarkupPolicy.ActiveHtmlIn(value) is { } html) errors.Add(new(field, html));
        }
        if (errors.Count > 0)
        {
            failure = null;
            return errors;
        }
        var title = TextSanitizer.SingleLine(input.Title);
        var domain = TextSanitizer.SingleLine(input.Domain);
        var summary = TextSanitizer.MultiLine(input.Summary);
        var tags = NormaliseTags(input.Tags);

        if (title.Length == 0) errors.Add(new("title", "is required and must not be blank"));
        else if (TextSanitizer.Length(title) > MaxTitleLength)
            errors.Add(new("title", $"is {TextSanitizer.Length(title)} characters; the limit is {MaxTitleLength}"));
        else if (!title.EnumerateRunes().Any(r => System.Text.Rune.IsLetterOrDigit(r)))
            errors.Add(new("title", "must contain at least one letter or digit (it names the record's file)"));

        if (domain.Length == 0) errors.Add(new("domain", "is required and must not be blank"));
        else if (TextSanitizer.Length(domain) > MaxDomainLength)
            errors.Add(new("domain", $"is {TextSanitizer.Length(domain)} characters; the limit is {MaxDomainLength}"));

        if (MarkupPolicy.SectionHeadingIn(summary) is { } heading) errors.Add(new("summary", heading));
        else if (TextSanitizer.Length(summary) > MaxSummaryLength)
            errors.Add(new("summary", $"is {TextSanitizer.Length(summary)} characters; the limit is {MaxSummaryLength}"));

        if (TextSanitizer.Length(tags) > MaxTagsLength)
            errors.Add(new("tags", $"are {TextSanitizer.Length(tags)} characters; the limit is {MaxTagsLength}"));

        if (!Severity.TryParse(input.Severity, out var severity, out var severityError))
            errors.Add(new("severity", severityError!));

        var type = string.IsNullOrWhiteSpace(input.Type) ? LearningTypes.Failure : input.Type.Trim().ToLowerInvariant();
        if (!LearningTypes.All.Contains(type))
            errors.Add(new("type", $"must be one of {string.Join(", ", LearningTypes.All)} (got '{(type.Length <= 40 ? type : type[..40] + "…")}')"));

        failure = errors.Count == 0
            ? new ValidatedFailure(title, domain, severity, tags, summary.Length == 0 ? DefaultSummary : summary) { Type = type }
            : null;
        return errors;
    }

    /// <summary>Tags as ELF stores them: comma separated, each trimmed, empty ones dropped.</summary>
    public static string NormaliseTags(string? tags) =>
        string.Join(',', TextSanitizer.SingleLine(tags)
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
