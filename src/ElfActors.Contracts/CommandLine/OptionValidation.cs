using System.CommandLine;
using System.Globalization;

namespace ElfActors.Contracts.CommandLine;

public static class OptionValidation
{
    /// <summary>
    /// Keeps an integer option within bounds. Validators also run when the value did not parse (the parser
    /// reports that itself), so only a value that parsed is checked here. For <c>Option&lt;int&gt;</c> and <c>Option&lt;int?&gt;</c>.
    /// </summary>
    public static T InRange<T>(this T option, int min, int max) where T : Option
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0) return;
            if (!int.TryParse(result.Tokens[^1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return;
            if (value < min || value > max)
                result.AddError($"{option.Name} must be between {min} and {max} (got {value}).");
        });
        return option;
    }
}
