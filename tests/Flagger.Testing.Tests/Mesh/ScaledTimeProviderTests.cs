using Microsoft.Extensions.Time.Testing;

namespace Flagger.Testing.Tests.Mesh;

public sealed class ScaledTimeProviderTests
{
    [Fact]
    public void Time_and_timers_run_speed_times_faster_than_the_inner_clock()
    {
        var inner = new FakeTimeProvider(new DateTimeOffset(2026, 1, 16, 14, 0, 0, TimeSpan.Zero));
        var scaled = new ScaledTimeProvider(60, inner);
        var start = scaled.GetUtcNow();
        var fired = 0;
        using var timer = scaled.CreateTimer(_ => fired++, null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

        inner.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, fired);
        inner.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, fired);
        Assert.Equal(TimeSpan.FromMinutes(1), scaled.GetUtcNow() - start);

        timer.Change(TimeSpan.FromMinutes(2), Timeout.InfiniteTimeSpan);
        inner.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, fired);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScaledTimeProvider(0.5));
    }
}
