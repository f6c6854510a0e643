using Flagger.Model;

namespace Flagger.Tests.Model;

public sealed class GoDurationTests
{
    [Theory]
    [InlineData("1m", 60_000)]
    [InlineData("30s", 30_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("2h45m", 9_900_000)]
    [InlineData(" 10s ", 10_000)]
    [InlineData("0s", 0)]
    public void Parses_the_durations_manifests_use(string text, long milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("10")]
    [InlineData("m")]
    [InlineData("-1m")]
    [InlineData("1d")]
    [InlineData("1 m")]
    [InlineData("1m30")]
    [InlineData("1..5s")]
    [InlineData("99999999999999m")]
    [InlineData("1m99999999999999h")]
    [InlineData("9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999s")]
    public void Rejects_what_Go_would_not_parse(string? text)
    {
        Assert.False(GoDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.Zero, duration);
    }

    [Theory]
    [InlineData(1_515, "1.515s")]
    [InlineData(500, "500ms")]
    [InlineData(60_000, "1m0s")]
    [InlineData(90_000, "1m30s")]
    [InlineData(30_000, "30s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(0, "0s")]
    public void Formats_as_Go_prints_durations(long milliseconds, string expected) =>
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Theory]
    [InlineData("1m30s")]
    [InlineData("1.515s")]
    [InlineData("500ms")]
    [InlineData("2h5m0s")]
    public void Format_reads_back_to_the_same_duration(string text)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.True(GoDuration.TryParse(GoDuration.Format(duration), out var again));
        Assert.Equal(duration, again);
    }
}
