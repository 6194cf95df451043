using ElfActors.Core.Text;

namespace ElfActors.Core.Records;

/// <summary>ELF's record-decision rules (required title, context, decision, rationale; ELF's length limits).</summary>
public static class DecisionValidator
{
    public const int MaxTitleLength = 200;
    public const int MaxTextLength = 5_000;
    public const int MaxListLength = 1_000;
    public const string DefaultDomain = "general";

    public static IReadOnlyList<ValidationError> Validate(DecisionInput input, out ValidatedDecision? decision)
    {
        decision = null;
        var errors = new List<ValidationError>();
        var raw = new[]
        {
            ("title", input.Title), ("context", input.Context), ("decision", input.Decision), ("rationale", input.Rationale),
            ("options", input.Options), ("domain", input.Domain), ("files", input.Files), ("tests", input.Tests),
        };
        foreach (var (field, value) in raw)
            if (HeuristicValidator.HostileText(value) is { } reason) errors.Add(new(field, reason));
        if (errors.Count > 0) return errors;

        var title = TextSanitizer.SingleLine(input.Title);
        var context = TextSanitizer.MultiLine(input.Context);
        var chosen = TextSanitizer.MultiLine(input.Decision);
        var rationale = TextSanitizer.MultiLine(input.Rationale);
        var options = TextSanitizer.MultiLine(input.Options);
        var rawDomain = TextSanitizer.SingleLine(input.Domain);
        var domain = rawDomain.Length == 0 ? DefaultDomain : HeuristicValidator.DomainFileName(rawDomain);
        var files = TextSanitizer.SingleLine(input.Files);
        var tests = TextSanitizer.SingleLine(input.Tests);

        Required("title", title, MaxTitleLength);
        if (title.Length > 0 && !title.EnumerateRunes().Any(System.Text.Rune.IsLetterOrDigit))
            errors.Add(new("title", "must contain at least one letter or digit (it names the record's file)"));
        Required("context", context, MaxTextLength);
        Required("decision", chosen, MaxTextLength);
        Required("rationale", rationale, MaxTextLength);
        Limit("options", options, MaxTextLength);
        Limit("files", files, MaxListLength);
        Limit("tests", tests, MaxListLength);
        if (TextSanitizer.Length(rawDomain) > HeuristicValidator.MaxDomainLength)
            errors.Add(new("domain", $"is {TextSanitizer.Length(rawDomain)} characters; the limit is {HeuristicValidator.MaxDomainLength}"));
        else if (domain.Length == 0)
            errors.Add(new("domain", "must contain at least one letter or digit a-z, 0-9"));

        // Multi-line fields are sections of the ADR: a '# ' or '## ' line would forge one (docs/adr/0007).
        foreach (var (field, value) in new[] { ("context", context), ("decision", chosen), ("rationale", rationale), ("options", options) })
            if (MarkupPolicy.SectionHeadingIn(value) is { } heading) errors.Add(new(field, heading));

        if (errors.Count == 0) decision = new ValidatedDecision(title, context, chosen, rationale, options, domain, files, tests);
        return errors;

        void Required(string field, string value, int limit)
        {
            if (value.Length == 0) errors.Add(new(field, "is required and must not be blank"));
            else Limit(field, value, limit);
        }

        void Limit(string field, string value, int limit)
        {
            if (TextSanitizer.Length(value) > limit) errors.Add(new(field, $"is {TextSanitizer.Length(value)} characters; the limit is {limit}"));
        }
    }
}
