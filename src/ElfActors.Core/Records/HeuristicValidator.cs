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
        var errors = new List<ValidationError>();
        foreach (var (field, value) in new[] { ("domain", input.Domain), ("rule", input.Rule), ("explanation", input.Explanation), ("source", input.Source), ("confidence", input.Confidence) })
            if (HostileText(value) is { } reason) errors.Add(new(field, reason));
        if (errors.Count > 0) return errors;

        var rule = TextSanitizer.SingleLine(input.Rule);
        var rawDomain = TextSanitizer.SingleLine(input.Domain);
        var domain = DomainFileName(rawDomain);
        var explanation = TextSanitizer.MultiLine(input.Explanation);
        var source = TextSanitizer.SingleLine(input.Source);

        if (rule.Length == 0) errors.Add(new("rule", "is required and must not be blank"));
        else if (TextSanitizer.Length(rule) > MaxRuleLength)
            errors.Add(new("rule", $"is {TextSanitizer.Length(rule)} characters; the limit is {MaxRuleLength}"));

        if (rawDomain.Length == 0) errors.Add(new("domain", "is required and must not be blank"));
        else if (TextSanitizer.Length(rawDomain) > MaxDomainLength)
            errors.Add(new("domain", $"is {TextSanitizer.Length(rawDomain)} characters; the limit is {MaxDomainLength}"));
        else if (domain.Length == 0)
            errors.Add(new("domain", "must contain at least one letter or digit a-z, 0-9 (it names the file memory/heuristics/<domain>.md)"));

        // A '# ' or '## ' line would forge an entry ('## H-<id>: …') or the file's title (docs/adr/0007).
        if (MarkupPolicy.SectionHeadingIn(explanation) is { } heading) errors.Add(new("explanation", heading));
        else if (TextSanitizer.Length(explanation) > MaxExplanationLength)
            errors.Add(new("explanation", $"is {TextSanitizer.Length(explanation)} characters; the limit is {MaxExplanationLength}"));
        if (TextSanitizer.Length(source) > MaxSourceLength)
            errors.Add(new("source", $"is {TextSanitizer.Length(source)} characters; the limit is {MaxSourceLength}"));

        if (!TryParseConfidence(input.Confidence, out var confidence, out var confidenceError))
            errors.Add(new("confidence", confidenceError!));

        if (errors.Count == 0)
            heuristic = new ValidatedHeuristic(domain, rule, explanation, source.Length == 0 ? DefaultSource : source, confidence);
        return errors;
    }

    /// <summary>
    /// What no field may hold (docs/adr/0007, shared with failures and decisions): invalid UTF-8, a NUL, active HTML.
    /// </summary>
    public static string? HostileText(string? value) =>
        value is null ? null
        : value.Contains('\uFFFD') ? "is not valid UTF-8 (it contains bytes that are not text, shown as U+FFFD)"
        : value.Contains('\0') ? "contains a NUL character"
        : MarkupPolicy.ActiveHtmlIn(value);

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
