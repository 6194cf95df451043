namespace ElfActors.Core.Records;

/// <summary>The idempotency key of a record request: a retry with the same id returns the first record.</summary>
public static class RequestId
{
    public const int MaxLength = 128;

    public static string New() => Guid.NewGuid().ToString("N");

    public static bool IsValid(string? id, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(id)) { error = "request id must not be empty"; return false; }
        if (id.Length > MaxLength) { error = $"request id is {id.Length} characters; the limit is {MaxLength}"; return false; }
        foreach (var c in id)
        {
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_' or '.' or ':') continue;
            error = "request id may contain only letters, digits and - _ . :";
            return false;
        }
        return true;
    }
}
