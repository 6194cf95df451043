using ElfActors.Core.Files;
using ElfActors.Core.Markdown;
using ElfActors.Core.Records;
using ElfActors.Core.Text;
using ElfActors.Tests.Support;

namespace ElfActors.Tests.Core;

public sealed class MarkdownTests
{
    [Theory]
    [InlineData("Git Lock Timeout!", "git-lock-timeout")]
    [InlineData("  spaced  out ", "--spaced--out-")]
    [InlineData("Ünïcödé & symbols/../path", "ncd--symbolspath")]
    [InlineData("already-kebab_case", "already-kebabcase")]
    public void Slug_follows_elf(string title, string slug) => Assert.Equal(slug, Slug.From(title));

    [Fact]
    public void Slug_is_at_most_100_characters() => Assert.Equal(100, Slug.From(new string('a', 300)).Length);

    [Fact]
    public void File_names_are_elfs_with_a_suffix_from_the_second_candidate_on()
    {
        var failure = new ValidatedLearning("Lock timeout", "git", 4, "", "s");
        var stem = FailureMarkdown.FileStem(failure, new DateOnly(2026, 1, 2));
        Assert.Equal("20260102_lock-timeout", stem);
        Assert.Equal("20260102_lock-timeout.md", FailureMarkdown.Candidate(stem, 1));
        Assert.Equal("20260102_lock-timeout-2.md", FailureMarkdown.Candidate(stem, 2));
    }

    [Fact]
    public void A_title_with_no_ascii_letters_still_gets_a_file_name()
    {
        var failure = new ValidatedLearning("构建失败", "ci", 3, "", "s");
        Assert.Equal("20260102_failure", FailureMarkdown.FileStem(failure, new DateOnly(2026, 1, 2)));
    }

    [Fact]
    public void Renders_elfs_layout()
    {
        var text = FailureMarkdown.Render(new ValidatedLearning("Lock timeout", "git", 4, "a,b", "line one\nline two"), new DateOnly(2026, 1, 2));
        var lines = text.Split('\n');
        Assert.Equal("# Lock timeout", lines[0]);
        Assert.Contains("**Domain**: git", lines);
        Assert.Contains("**Severity**: 4", lines);
        Assert.Contains("**Tags**: a,b", lines);
        Assert.Contains("**Date**: 2026-01-02  # TIME-FIX-3: Use consistent captured date", lines); // ELF's line, byte for byte
        var headings = lines.Where(l => l.StartsWith("## ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["## Summary", "## What Happened", "## Root Cause", "## Impact", "## Prevention", "## Related"], headings);
        Assert.Contains("line one\nline two", text);
        Assert.Contains("- **Experiments**:", lines);
        Assert.Contains("- **Heuristics**:", lines);
        Assert.Contains("- **Similar Failures**:", lines);
    }
}

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempMemory _memory = new();

    [Fact]
    public void A_temp_file_is_hidden_owner_only_and_placed_without_overwriting()
    {
        var temp = AtomicFile.WriteTemp(_memory.BasePath, "content", flushToDisk: true);
        Assert.True(AtomicFile.IsTempName(Path.GetFileName(temp)));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(temp));

        var target = Path.Combine(_memory.BasePath, "target.md");
        File.WriteAllText(target, "someone else's");
        Assert.Throws<IOException>(() => AtomicFile.PlaceWithoutOverwrite(temp, target));
        Assert.Equal("someone else's", File.ReadAllText(target));
    }

    [Fact]
    public void Placing_a_record_accepts_a_file_a_retry_already_wrote_with_the_same_content()
    {
        var target = Path.Combine(_memory.BasePath, "record.md");
        File.WriteAllText(target, "the record");

        AtomicFile.CreateRecord(target, "the record", flushToDisk: false);

        Assert.DoesNotContain(Directory.EnumerateFiles(_memory.BasePath), f => AtomicFile.IsTempName(Path.GetFileName(f)));
        Assert.Equal("the record", File.ReadAllText(target));
    }

    [Fact]
    public void Placing_a_record_never_replaces_a_different_file()
    {
        var target = Path.Combine(_memory.BasePath, "record.md");
        File.WriteAllText(target, "a different record");

        Assert.Throws<IOException>(() => AtomicFile.CreateRecord(target, "the record", flushToDisk: false));
        Assert.Equal("a different record", File.ReadAllText(target));
    }

    [Fact]
    public void A_new_record_file_is_owner_only_and_made_in_a_folder_that_did_not_exist()
    {
        var target = Path.Combine(_memory.BasePath, "memory", "observations", "new.md");

        AtomicFile.CreateRecord(target, "the record", flushToDisk: true);

        Assert.Equal("the record", File.ReadAllText(target));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
    }

    public void Dispose() => _memory.Dispose();
}
