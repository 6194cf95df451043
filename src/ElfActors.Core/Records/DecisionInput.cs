namespace ElfActors.Core.Records;

/// <summary>An architecture decision as ELF's record-decision takes it: raw, unvalidated text.</summary>
public sealed record DecisionInput(
    string? Title,
    string? Context,
    string? Decision,
    string? Rationale,
    string? Options = null,
    string? Domain = null,
    string? Files = null,
    string? Tests = null) : IRecordInput
{
    public RecordKind Kind => Kinds.DecisionKind.Instance;
}

/// <summary>A decision that passed validation; <see cref="Domain"/> is ELF's sanitised form (default <c>general</c>).</summary>
public sealed record ValidatedDecision(
    string Title,
    string Context,
    string Decision,
    string Rationale,
    string Options,
    string Domain,
    string Files,
    string Tests);
