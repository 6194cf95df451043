using System.Globalization;
using ElfActors.Core.Text;

namespace ElfActors.Core.Records;

/// <summary>Applies ELF's record-heuristic rules, rejecting (never silently fixing) what ELF would have mangled.</summary>
public static class HeuristicValidator
{
    public const int MaxRuleLength = 500;
    public const int MaxDomainLength = 100;
    public const int MaxExplanationLength = 5_000;
    public const int MaxSourceLength = 100;
    public const double DefaultConfidence = 0.5;
    public const string DefaultSource = "observation";

    public static IReadOnlyList<ValidationError> Validate(HeuristicInput input, out ValidatedHeuristic? heuristic)
    {
        heuristic = null;
        var rules = new FieldRules();
        var errors = rules.Errors;
        if (!rules.NoHostileText(("domain", input.Domain), ("rule", input.Rule), ("explanation", input.Explanation), ("source", input.Source), ("confidence", input.Confidence)))
            return errors;

        var rule = TextSanitizer.SingleLine(input.Rule);
        var rawDomain = TextSanitizer.SingleLine(input.Domain);
        var domain = DomainFileName(rawDomain);
        var explanation = TextSanitizer.MultiLine(input.Explanation);
        var source = TextSanitizer.SingleLine(input.Source);

        rules.Required("rule", rule, MaxRuleLength);
        if (rules.Required("domain", rawDomain, MaxDomainLength) && domain.Length == 0)
            rules.Add("domain", "must contain at least one letter or digit a-z, 0-9 (it names the file memory/heuristics/<domain>.md)");

        // A '# ' or '## ' line would forge an entry ('## H-<id>: …') or the file's title.
        if (rules.NoSectionHeading("explanation", explanation)) rules.Limit("explanation", explanation, MaxExplanationLength);
        rules.Limit("source", source, MaxSourceLength);

        if (!TryParseConfidence(input.Confidence, out var confidence, out var confidenceError))
            rules.Add("confidence", confidenceError!);

        if (errors.Count == 0)
            heuristic = new ValidatedHeuristic(domain, rule, explanation, source.Length == 0 ? DefaultSource : source, confidence);
        return errors;
    }

    /// <summary>
    /// ELF's sanitised domain: lower case, spaces to '-', only [a-z0-9-] kept, no leading or trailing '-',
    /// at most 100 characters. ELF stored this form in the row and named the domain file after it.
    /// </summary>
    public static string DomainFileName(string domain)
    {
        var slug = Slug.From(domain.Trim()).Trim('-');
        return slug.Length > MaxDomainLength ? slug[..MaxDomainLength].TrimEnd('-') : slug;
    }

    /// <summary>0.0–1.0 (default 0.5), or ELF's words low=0.3, medium=0.6, high=0.85. Anything else is an error (ELF silently used 0.7).</summary>
    public static bool TryParseConfidence(string? text, out double confidence, out string? error)
    {
        error = null;
        confidence = DefaultConfidence;
        if (string.IsNullOrWhiteSpace(text)) return true;
        var value = text.Trim().ToLowerInvariant();
        switch (value)
        {
            case "low": confidence = 0.3; return true;
            case "medium": confidence = 0.6; return true;
            case "high": confidence = 0.85; return true;
        }
        if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) && number is >= 0.0 and <= 1.0)
        {
            confidence = number;
            return true;
        }
        error = $"must be a number from 0.0 to 1.0, or low, medium, high (got '{(text.Length <= 40 ? text : text[..40] + "…")}')";
        return false;
    }

    public static string FormatConfidence(double confidence)
    {
        var text = confidence.ToString("0.0##", CultureInfo.InvariantCulture);
        return text;
    }
}
