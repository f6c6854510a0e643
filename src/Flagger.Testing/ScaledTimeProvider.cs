namespace Flagger.Testing;

/// <summary>
/// A clock that runs <see cref="Speed"/> times faster than the one it wraps: timers fire and time passes that much
/// sooner, so a canary with <c>interval: 1m</c> ticks every second at speed 60. Used by the demo's <c>--speed</c>.
/// </summary>
public sealed class ScaledTimeProvider : TimeProvider
{
    private readonly TimeProvider _inner;
    private readonly DateTimeOffset _startUtc;
    private readonly long _startTimestamp;

    /// <summary>Starts the scaled clock at the inner clock's current time.</summary>
    /// <param name="speed">How many times faster than <paramref name="inner"/> this clock runs (at least 1).</param>
    /// <param name="inner">The clock to scale; the system clock when null.</param>
    public ScaledTimeProvider(double speed, TimeProvider? inner = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(speed, 1);
        Speed = speed;
        _inner = inner ?? System;
        _startUtc = _inner.GetUtcNow();
        _startTimestamp = _inner.GetTimestamp();
    }

    /// <summary>How many times faster than the inner clock this one runs.</summary>
    public double Speed { get; }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    /// <inheritdoc />
    public override long TimestampFrequency => _inner.TimestampFrequency;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _startUtc + (_inner.GetElapsedTime(_startTimestamp) * Speed);

    /// <inheritdoc />
    public override long GetTimestamp() => _startTimestamp + (long)((_inner.GetTimestamp() - _startTimestamp) * Speed);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(_inner.CreateTimer(callback, state, Scale(dueTime), Scale(period)), this);

    /// <summary>The inner clock's span for a span of this clock.</summary>
    /// <param name="span">A span of scaled time.</param>
    /// <returns>The same span on the inner clock; infinite and zero spans are kept.</returns>
    public TimeSpan Scale(TimeSpan span) => span == Timeout.InfiniteTimeSpan || span <= TimeSpan.Zero ? span : span / Speed;

    private sealed class ScaledTimer(ITimer inner, ScaledTimeProvider clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.Scale(dueTime), clock.Scale(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
