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
        var rules = new FieldRules();
        var errors = rules.Errors;
        if (!rules.NoHostileText(("title", input.Title), ("context", input.Context), ("decision", input.Decision), ("rationale", input.Rationale),
                ("options", input.Options), ("domain", input.Domain), ("files", input.Files), ("tests", input.Tests)))
            return errors;

        var title = TextSanitizer.SingleLine(input.Title);
        var context = TextSanitizer.MultiLine(input.Context);
        var chosen = TextSanitizer.MultiLine(input.Decision);
        var rationale = TextSanitizer.MultiLine(input.Rationale);
        var options = TextSanitizer.MultiLine(input.Options);
        var rawDomain = TextSanitizer.SingleLine(input.Domain);
        var domain = rawDomain.Length == 0 ? DefaultDomain : HeuristicValidator.DomainFileName(rawDomain);
        var files = TextSanitizer.SingleLine(input.Files);
        var tests = TextSanitizer.SingleLine(input.Tests);

        rules.Required("title", title, MaxTitleLength);
        rules.NamesAFile("title", title);
        rules.Required("context", context, MaxTextLength);
        rules.Required("decision", chosen, MaxTextLength);
        rules.Required("rationale", rationale, MaxTextLength);
        rules.Limit("options", options, MaxTextLength);
        rules.Limit("files", files, MaxListLength);
        rules.Limit("tests", tests, MaxListLength);
        if (rules.Limit("domain", rawDomain, HeuristicValidator.MaxDomainLength) && domain.Length == 0)
            rules.Add("domain", "must contain at least one letter or digit a-z, 0-9");

        foreach (var (field, value) in new[] { ("context", context), ("decision", chosen), ("rationale", rationale), ("options", options) })
            rules.NoSectionHeading(field, value);

        if (errors.Count == 0) decision = new ValidatedDecision(title, context, chosen, rationale, options, domain, files, tests);
        return errors;
    }
}
