using System.Globalization;

namespace ElfActors.Core.Records;

/// <summary>ELF's failure severity: 1–5, or the words low=2, medium=3, high=4, critical=5.</summary>
public static class Severity
{
    public const int Default = 3;

    /// <summary>Parses a severity. Unlike ELF, which turned anything unknown into 3, an unknown value is an error.</summary>
    public static bool TryParse(string? text, out int severity, out string? error)
    {
        error = null;
        severity = Default;
        if (string.IsNullOrWhiteSpace(text)) return true;
        var value = text.Trim().ToLowerInvariant();
        switch (value)
        {
            case "low": severity = 2; return true;
            case "medium": severity = 3; return true;
            case "high": severity = 4; return true;
            case "critical": severity = 5; return true;
        }
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 5)
        {
            severity = number;
            return true;
        }
        error = $"must be 1-5 or one of low, medium, high, critical (got '{Shorten(text)}')";
        return false;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
