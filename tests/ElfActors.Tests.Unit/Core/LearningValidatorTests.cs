using ElfActors.Core.Records;

namespace ElfActors.Tests.Core;

public sealed class LearningValidatorTests
{
    private static ValidatedLearning Valid(LearningInput input)
    {
        var errors = LearningValidator.Validate(input, out var failure);
        Assert.Empty(errors);
        return failure!;
    }

    private static IReadOnlyList<ValidationError> Invalid(LearningInput input)
    {
        var errors = LearningValidator.Validate(input, out var failure);
        Assert.Null(failure);
        Assert.NotEmpty(errors);
        return errors;
    }

    [Fact]
    public void Title_and_domain_are_trimmed_and_control_characters_removed()
    {
        var failure = Valid(new("  Build\u0001 broke\u001b[31m red\u001b[0m \r\nagain\t ", " ci\u0007 "));
        Assert.Equal("Build broke red again", failure.Title);
        Assert.Equal("ci", failure.Domain);
    }

    [Fact]
    public void The_summary_keeps_its_lines_but_loses_control_characters()
    {
        var failure = Valid(new("t", "d", Summary: "first\r\nsecond\u0008\u001b[1m\n\tthird\u2028"));
        Assert.Equal("first\nsecond\n\tthird", failure.Summary);
        Assert.Equal("first", failure.SummaryFirstLine);
    }

    [Fact]
    public void The_row_keeps_its_own_summary_where_one_is_given_as_given_and_the_file_keeps_the_summary()
    {
        // ELF's record-failure.sh: the file keeps "a\nb" as typed, the row echo -e's first line (the shim passes it).
        var failure = Valid(new("t", "d", Summary: "  a\\nb") { RowSummary = "  a\t b  \u001b[1m\u0007" });
        Assert.Equal("a\\nb", failure.Summary);
        Assert.Equal("  a\t b  ", failure.RowSummary);
        Assert.Equal("", Valid(new("t", "d", Summary: "-n") { RowSummary = "" }).RowSummary);
        Assert.Equal("first", Valid(new("t", "d", Summary: "first\nsecond")).RowSummary);
    }

    [Fact]
    public void A_row_summary_of_several_lines_is_refused()
    {
        var error = Assert.Single(Invalid(new("t", "d", Summary: "s") { RowSummary = "one\ntwo" }));
        Assert.Equal("row-summary", error.Field);
        Assert.Contains("one line", error.Message);
        Assert.Equal("row-summary", Assert.Single(Invalid(new("t", "d") { RowSummary = "cut\u0000" })).Field);
    }

    [Theory]
    [InlineData("Build\u0000 broke", "d", null, "title")]
    [InlineData("t", "ci\u0000", null, "domain")]
    [InlineData("t", "d", "cut here\u0000rest", "summary")]
    public void A_nul_character_is_rejected_not_stripped(string title, string domain, string? summary, string field)
    {
        var error = Assert.Single(Invalid(new(title, domain, Summary: summary)));
        Assert.Equal(field, error.Field);
        Assert.Contains("NUL", error.Message);
    }

    [Theory]
    [InlineData("<script>alert(1)</script>", "d", null, "title")]
    [InlineData("Broken <IFRAME src=x>", "d", null, "title")]
    [InlineData("t", "<svg onload=alert(1)>", null, "domain")]
    [InlineData("t", "d", "see [this](javascript:alert(1))", "summary")]
    [InlineData("t", "d", "an image <img src=x onerror=alert(1)>", "summary")]
    public void Active_html_is_rejected_in_every_field(string title, string domain, string? summary, string field)
    {
        var error = Assert.Single(Invalid(new(title, domain, Summary: summary)));
        Assert.Equal(field, error.Field);
        Assert.Contains("active HTML", error.Message);
    }

    [Theory]
    [InlineData("fine\n## Root Cause\nforged", 2)]
    [InlineData("# Another record", 1)]
    [InlineData("a\nb\n   ## Impact", 3)]
    public void A_summary_line_that_is_a_section_heading_is_rejected_with_its_line_number(string summary, int line)
    {
        var error = Assert.Single(Invalid(new("t", "d", Summary: summary)));
        Assert.Equal("summary", error.Field);
        Assert.Contains($"line {line} is a markdown heading", error.Message);
    }

    [Theory]
    [InlineData("List<T> is invariant", "a quoted <div class=\"x\"> from an error\n### Details\n#hashtag and C# code\n    ## indented code")]
    [InlineData("Use a <b>bold</b> title & ampersands", "the onload handler fired twice; a javascript file failed")]
    public void Ordinary_angle_brackets_deeper_headings_and_hashes_are_kept(string title, string summary)
    {
        var failure = Valid(new(title, "d", Summary: summary));
        Assert.Equal(title, failure.Title);
        Assert.Equal(summary, failure.Summary);
    }

    [Fact]
    public void A_missing_summary_becomes_elfs_default()
    {
        Assert.Equal("No summary provided", Valid(new("t", "d")).Summary);
    }

    [Theory]
    [InlineData(500, true)]
    [InlineData(501, false)]
    public void Title_limit_is_500_characters(int length, bool valid)
    {
        var input = new LearningInput(new string('a', length), "d");
        Assert.Equal(valid, LearningValidator.Validate(input, out _).Count == 0);
    }

    [Theory]
    [InlineData(100, true)]
    [InlineData(101, false)]
    public void Domain_limit_is_100_characters(int length, bool valid)
    {
        var input = new LearningInput("t", new string('d', length));
        Assert.Equal(valid, LearningValidator.Validate(input, out _).Count == 0);
    }

    [Theory]
    [InlineData(50_000, true)]
    [InlineData(50_001, false)]
    public void Summary_limit_is_50000_characters(int length, bool valid)
    {
        var input = new LearningInput("t", "d", Summary: new string('s', length));
        Assert.Equal(valid, LearningValidator.Validate(input, out _).Count == 0);
    }

    [Fact]
    public void Limits_count_characters_not_utf16_units()
    {
        // 500 emoji are 1,000 UTF-16 units but 500 characters; with one letter the title names a file.
        Assert.Empty(LearningValidator.Validate(new LearningInput("a" + string.Concat(Enumerable.Repeat("😀", 499)), "d"), out _));
    }

    [Theory]
    [InlineData(null, "title")]
    [InlineData("", "title")]
    [InlineData("  \t\r\n ", "title")]
    [InlineData("🔥 !!", "title")]
    public void Titles_without_content_are_rejected(string? title, string field)
    {
        Assert.Contains(Invalid(new LearningInput(title, "d")), e => e.Field == field);
    }

    [Theory]
    [InlineData("title")]
    [InlineData("domain")]
    [InlineData("tags")]
    [InlineData("summary")]
    public void Invalid_utf8_decoded_as_replacement_characters_is_rejected(string field)
    {
        const string bad = "bad\uFFFDtext";
        var input = new LearningInput(field == "title" ? bad : "t", field == "domain" ? bad : "d",
            Tags: field == "tags" ? bad : null, Summary: field == "summary" ? bad : null);
        Assert.Contains(Invalid(input), e => e.Field == field && e.Message.Contains("UTF-8"));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = Invalid(new LearningInput("", "", "9", Summary: new string('x', 50_001)));
        Assert.Equal(["title", "domain", "summary", "severity"], errors.Select(e => e.Field));
    }

    [Fact]
    public void Tags_are_trimmed_and_empty_ones_dropped()
    {
        Assert.Equal("a,b c,d", Valid(new("t", "d", Tags: " a ,, b c ,\u0007d,")).Tags);
    }
}

public sealed class SeverityTests
{
    [Theory]
    [InlineData(null, 3)]
    [InlineData("", 3)]
    [InlineData("1", 1)]
    [InlineData("5", 5)]
    [InlineData(" 4 ", 4)]
    [InlineData("low", 2)]
    [InlineData("Medium", 3)]
    [InlineData("HIGH", 4)]
    [InlineData("critical", 5)]
    public void Accepts_numbers_and_elfs_words(string? text, int expected)
    {
        Assert.True(Severity.TryParse(text, out var severity, out _));
        Assert.Equal(expected, severity);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("6")]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("3.5")]
    [InlineData("+3")]
    public void Rejects_anything_else_instead_of_silently_using_3(string text)
    {
        Assert.False(Severity.TryParse(text, out _, out var error));
        Assert.Contains(text, error);
    }
}

public sealed class RequestIdTests
{
    [Theory]
    [InlineData("abc-123_x.y:z", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("../x", false)]
    public void Only_safe_characters(string id, bool valid) => Assert.Equal(valid, RequestId.IsValid(id, out _));

    [Fact]
    public void New_ids_are_valid_and_distinct()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => RequestId.New()).ToList();
        Assert.All(ids, id => Assert.True(RequestId.IsValid(id, out _)));
        Assert.Equal(100, ids.Distinct().Count());
    }
}
