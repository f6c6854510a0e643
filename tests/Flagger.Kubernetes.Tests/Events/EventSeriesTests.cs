using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Kubernetes.Events;

public sealed class EventSeriesTests
{
    private readonly FakeTimeProvider clock = new();

    [Fact]
    public void Distinct_series_beyond_the_capacity_drop_the_least_recently_used()
    {
        var series = new EventSeries(clock);
        series.Set("first", 1);
        for (var i = 0; i < 10_000; i++)
        {
            series.Set(string.Create(CultureInfo.InvariantCulture, $"halt-{i}"), 1);

            // "first" keeps being used, so it is never the one dropped.
            if (i % 1000 == 0)
            {
                Assert.True(series.TryGet("first", out _));
                series.Set("first", 2);
            }
        }

        Assert.Equal(EventSeries.Capacity, series.Count);
        Assert.True(series.TryGet("first", out var count));
        Assert.Equal(2, count);
        Assert.False(series.TryGet("halt-0", out _));
        Assert.True(series.TryGet("halt-9999", out _));
    }

    [Fact]
    public void A_series_not_seen_for_the_window_is_forgotten()
    {
        var series = new EventSeries(clock);
        series.Set("halt", 3);

        clock.Advance(EventSeries.Window);
        Assert.True(series.TryGet("halt", out var count));
        Assert.Equal(3, count);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(series.TryGet("halt", out _));
        Assert.Equal(0, series.Count);
    }
}
