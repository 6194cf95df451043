using ElfActors.Core.Text;

namespace ElfActors.Core.Records;

/// <summary>
/// The rules every kind's fields share, gathering what a record breaks: no hostile text (docs/adr/0007), required
/// fields present, ELF's length limits. A kind's validator applies them field by field, then its own.
/// </summary>
public sealed class FieldRules
{
    public List<ValidationError> Errors { get; } = [];

    /// <summary>What no field may hold: invalid UTF-8 (it reaches .NET as U+FFFD), a NUL (a truncation attack, never text), active HTML.</summary>
    public static string? HostileText(string? value) =>
        value is null ? null
        : value.Contains('\uFFFD') ? "is not valid UTF-8 (it contains bytes that are not text, shown as U+FFFD)"
        : value.Contains('\0') ? "contains a NUL character"
        : MarkupPolicy.ActiveHtmlIn(value);

    /// <summary>Refuses hostile text in any of the raw fields; true when there was none.</summary>
    public bool NoHostileText(params (string Field, string? Value)[] fields)
    {
        foreach (var (field, value) in fields)
            if (HostileText(value) is { } reason) Add(field, reason);
        return Errors.Count == 0;
    }

    public void Add(string field, string message) => Errors.Add(new(field, message));

    /// <summary>A required field: present, not blank, within its limit. True when it is.</summary>
    public bool Required(string field, string value, int limit)
    {
        if (value.Length != 0) return Limit(field, value, limit);
        Add(field, "is required and must not be blank");
        return false;
    }

    /// <summary>At most <paramref name="limit"/> characters (text elements, as ELF counted). True when within it.</summary>
    public bool Limit(string field, string value, int limit, string verb = "is")
    {
        if (TextSanitizer.Length(value) <= limit) return true;
        Add(field, $"{verb} {TextSanitizer.Length(value)} characters; the limit is {limit}");
        return false;
    }

    /// <summary>A title names its record's file: it needs a letter or a digit.</summary>
    public void NamesAFile(string field, string value)
    {
        if (value.Length > 0 && !value.EnumerateRunes().Any(System.Text.Rune.IsLetterOrDigit))
            Add(field, "must contain at least one letter or digit (it names the record's file)");
    }

    /// <summary>Multi-line fields are sections of the file: a '# ' or '## ' line would forge one (docs/adr/0007).</summary>
    public bool NoSectionHeading(string field, string value)
    {
        if (MarkupPolicy.SectionHeadingIn(value) is not { } heading) return true;
        Add(field, heading);
        return false;
    }
}
