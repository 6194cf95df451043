using System.Globalization;

namespace ElfActors.Cli.Commands;

/// <summary>
/// A record's command line read without System.CommandLine, which costs a record more CPU to set up (every verb's
/// options, descriptions and parser) than the record's own round trip (docs/adr/0022). Only the plainest form is
/// read here: known `--name value`, `--name=value` or `--name:value` options, each at most once, and flags with no value.
/// Anything else (help, a response file, an unknown or repeated option, a value that looks like an option, an
/// explicit `true`/`false` after a flag, a timeout out of range) returns null, and System.CommandLine handles
/// the command line as before, with its own messages.
/// </summary>
internal static class FastArguments
{
    /// <summary>The options after <paramref name="verb"/> (args[0]) by name ("--title"), flags as "" when present; null when not plain.</summary>
    public static Dictionary<string, string>? TryParse(string[] args, string verb, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> flags)
    {
        if (args.Length == 0 || args[0] != verb) return null;
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            var token = args[i];
            if (!token.StartsWith("--", StringComparison.Ordinal)) return null;
            var separator = token.IndexOfAny(['=', ':']);
            var name = separator > 0 ? token[..separator] : token;
            string value;
            if (flags.Contains(name))
            {
                if (separator > 0) return null;
                value = "";
            }
            else if (valueOptions.Contains(name))
            {
                if (separator > 0) value = token[(separator + 1)..];
                else if (i + 1 < args.Length) value = args[++i];
                else return null;
                if (value.StartsWith('-') || value.StartsWith('@')) return null;
            }
            else return null;
            if (!options.TryAdd(name, value)) return null;
        }
        return options;
    }

    /// <summary>An integer option's value within [<paramref name="min"/>, <paramref name="max"/>], the default when absent; null when invalid.</summary>
    public static int? Int(Dictionary<string, string> options, string name, int defaultValue, int min, int max)
    {
        if (!options.TryGetValue(name, out var text)) return defaultValue;
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value : null;
    }
}
