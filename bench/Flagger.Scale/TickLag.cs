using System.Diagnostics.Metrics;

namespace Flagger.Scale;

/// <summary>
/// Listens to the scheduler's meter (<c>Flagger.Hosting.Scheduler</c>): how late each tick started against its
/// canary's schedule, and how many ticks ran. Samples are kept only while recording, so settling costs nothing.
/// </summary>
public sealed class TickLag : IDisposable
{
    private const string MeterName = "Flagger.Hosting.Scheduler";
    private const string LagName = "flagger.scheduler.tick.lag";
    private readonly MeterListener listener = new();
    private readonly List<double> samples = [];
    private long ticks;
    private long firstTick;
    private volatile bool recording;

    public TickLag(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name == LagName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            Interlocked.Increment(ref ticks);
            Interlocked.CompareExchange(ref firstTick, time.GetTimestamp(), 0);
            if (recording)
            {
                lock (samples)
                {
                    samples.Add(value);
                }
            }
        });
        listener.Start();
    }

    /// <summary>Ticks started since the listener started.</summary>
    public long Ticks => Interlocked.Read(ref ticks);

    /// <summary>Timestamp of the first tick seen; 0 before it.</summary>
    public long FirstTick => Interlocked.Read(ref firstTick);

    /// <summary>Starts keeping samples (clears earlier ones).</summary>
    public void Record()
    {
        lock (samples)
        {
            samples.Clear();
        }

        recording = true;
    }

    /// <summary>Stops keeping samples and returns them sorted.</summary>
    public double[] Stop()
    {
        recording = false;
        lock (samples)
        {
            var sorted = samples.ToArray();
            Array.Sort(sorted);
            return sorted;
        }
    }

    /// <summary>The <paramref name="p"/>-th percentile (0..100) of sorted samples, nearest rank; NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public void Dispose() => listener.Dispose();
}
