using System.Collections.Concurrent;
using Flagger.Analysis;
using Flagger.Model;
using Microsoft.Extensions.Logging;

namespace Flagger.Hosting.Scheduling;

/// <summary>
/// One schedule per canary: a tick at once, then one per analysis interval, and an extra tick whenever the feed
/// says the canary changed; sooner after a tick that failed on an API call or found its step not due yet
/// (<see cref="NextWait"/>). Ticks of one canary never overlap; different canaries tick concurrently, at most
/// <c>maxConcurrentTicks</c> at a time. A tick holds its slot for at most <see cref="SlotHold"/>: one still running
/// then (a hanging hook with a 60m timeout) goes on without a slot, so slow canaries, however many, delay another
/// canary's tick by at most that long.
/// </summary>
internal sealed partial class CanaryScheduler : IAsyncDisposable
{
    private readonly Func<string, string, CancellationToken, Task<TickReport>> tick;
    private readonly Func<Canary, TimeSpan> intervalOf;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly SemaphoreSlim slots;
    private readonly ConcurrentDictionary<string, Schedule> schedules = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new();
    private readonly TimeSpan slotHold;
    private int waits;
    private int holds;

    public CanaryScheduler(Func<string, string, CancellationToken, Task<TickReport>> tick, Func<Canary, TimeSpan> intervalOf, TimeProvider time, ILogger logger, int maxConcurrentTicks, TimeSpan? slotHold = null)
    {
        this.slotHold = slotHold ?? SlotHold;
        this.tick = tick;
        this.intervalOf = intervalOf;
        this.time = time;
        this.logger = logger;
        slots = new SemaphoreSlim(Math.Max(1, maxConcurrentTicks));
    }

    /// <summary>
    /// How long a tick may keep its slot. Ticks take milliseconds unless a hook, a provider or the API server hangs;
    /// past this the tick goes on without its slot, and the slot goes to the next canary.
    /// </summary>
    public static readonly TimeSpan SlotHold = TimeSpan.FromSeconds(5);

    /// <summary>Raised after every tick, with how long it took.</summary>
    public event Action<TickReport, TimeSpan>? Ticked;

    public int Count => schedules.Count;

    /// <summary>How many times a schedule has started waiting for its next tick; lets tests advance a fake clock safely.</summary>
    internal int Waits => Volatile.Read(ref waits);

    /// <summary>How many ticks have armed their slot-hold timer (they did not finish at once); lets tests advance a fake clock safely.</summary>
    internal int Holds => Volatile.Read(ref holds);

    /// <summary>
    /// Starts a schedule for a new canary, or retimes an existing one and, when its spec changed, ticks it now.
    /// </summary>
    public void Upsert(Canary canary)
    {
        var interval = IntervalOf(canary);
        var key = Key(canary.Namespace, canary.Name);
        if (schedules.TryGetValue(key, out var existing))
        {
            existing.Interval = interval;

            // The operator's own status writes come back on the watch, sometimes before the write's answer (so the
            // cache cannot tell them from someone else's). Ticking on those would run the analysis again at once
            // and advance the weight twice within one interval; only a new spec generation is a reason to tick
            // early, as in Flagger's event loop, which enqueues on spec changes only.
            if (existing.SpecChanged(canary.Metadata.Generation))
            {
                existing.Wake();
            }

            return;
        }

        var schedule = new Schedule(canary.Namespace, canary.Name, interval, CancellationTokenSource.CreateLinkedTokenSource(stopping.Token), canary.Metadata.Generation);
        if (schedules.TryAdd(key, schedule))
        {
            schedule.Loop = RunAsync(schedule);
        }
    }

    /// <summary>The time left in the canary's running tick (one interval from its start) and the interval; null when it is not ticking.</summary>
    public (TimeSpan Left, TimeSpan Interval)? Remaining(string @namespace, string name)
    {
        if (!schedules.TryGetValue(Key(@namespace, name), out var schedule) || Volatile.Read(ref schedule.TickStarted) is var started && started == 0)
        {
            return null;
        }

        var interval = Bounded(schedule.Interval);
        return (interval - time.GetElapsedTime(started), interval);
    }

    /// <summary>Ticks a canary now, without waiting for its interval (a new revision was seen).</summary>
    public void Trigger(string @namespace, string name)
    {
        if (schedules.TryGetValue(Key(@namespace, name), out var schedule))
        {
            schedule.Wake();
        }
    }

    /// <summary>Stops a canary's schedule; a tick under way finishes.</summary>
    public async Task RemoveAsync(string @namespace, string name)
    {
        if (schedules.TryRemove(Key(@namespace, name), out var schedule))
        {
            await schedule.StopAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        foreach (var schedule in schedules.Values)
        {
            await schedule.StopAsync().ConfigureAwait(false);
        }

        schedules.Clear();
        stopping.Dispose();
        slots.Dispose();
    }

    private async Task RunAsync(Schedule schedule)
    {
        var token = schedule.Stop.Token;

        // The first tick is due when the schedule starts; later ones when their wait ends.
        var due = time.GetTimestamp();
        while (!token.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(token).ConfigureAwait(false);
                var started = time.GetTimestamp();
                var startedAt = time.GetUtcNow();
                var wait = (TimeSpan?)null;
                SchedulerDiagnostics.TickLag.Record(time.GetElapsedTime(due, started).TotalMilliseconds);
                Slot? slot = null;
                Volatile.Write(ref schedule.TickStarted, started);
                try
                {
                    var running = tick(schedule.Namespace, schedule.Name, token);
                    if (!running.IsCompleted)
                    {
                        // Only a tick that did not finish at once pays for the hold (an idle tick allocates nothing here).
                        slot = new Slot(slots);
                        await HoldAsync(running, slot, schedule, token).ConfigureAwait(false);
                    }

                    var report = await running.ConfigureAwait(false);
                    var elapsed = time.GetElapsedTime(started);
                    SchedulerDiagnostics.TickDuration.Record(elapsed.TotalMilliseconds);
                    Ticked?.Invoke(report, elapsed);
                    if (report.Canary is { } canary)
                    {
                        schedule.Interval = IntervalOf(canary);
                    }

                    wait = NextWait(schedule, report, startedAt);
                }
                finally
                {
                    Volatile.Write(ref schedule.TickStarted, 0);
                    if (slot is null)
                    {
                        slots.Release();
                    }
                    else
                    {
                        slot.Release();
                    }
                }

                due = await schedule.WaitAsync(time, wait, () => Interlocked.Increment(ref waits), token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A bug in one canary's tick must not end its schedule, nor anyone else's. A tick that throws rather
                // than reporting its failure (the finalizer's writes while a deleted canary is reverted: a 500, a
                // timeout) is retried as one that reported it, not a whole interval later.
                LogTickFailed(schedule.Namespace, schedule.Name, e);
                due = await schedule.WaitAsync(time, RetryWait(schedule), () => Interlocked.Increment(ref waits), token).ConfigureAwait(false);
            }
        }
    }

    private static string Key(string @namespace, string name) => $"{@namespace}/{name}";

    /// <summary>
    /// How long to wait for the next tick, when it is sooner than one interval (null: one interval).
    /// <list type="bullet">
    /// <item>A tick that failed on an API call (a 500, a 429, a timeout), or threw, is retried after an eighth of the
    /// interval, doubling with each failure in a row up to the interval (<see cref="RetryWait"/>), as a controller
    /// requeues an item that failed: the analysis does not advance on a retry, since a step is due only an interval
    /// after the last one recorded.</item>
    /// <item>A tick that changed nothing because the step was not due yet (a restarted operator's or a new leader's
    /// first tick, shortly after its predecessor's step) is followed by one at the step's due time, a tenth of the
    /// interval after it, rather than a whole interval from now: the status time is the start of the tick that
    /// stepped, so waiting a full interval from now lost up to an interval per restart.</item>
    /// </list>
    /// </summary>
    private TimeSpan? NextWait(Schedule schedule, TickReport report, DateTimeOffset startedAt)
    {
        if (report.Failure is not null)
        {
            return RetryWait(schedule);
        }

        schedule.FailedTicks = 0;
        var interval = Bounded(schedule.Interval);
        if (report.Canary?.Status?.LastTransitionTime is not { } last || last >= startedAt)
        {
            // This tick changed the status (or nothing records when): one interval from now, as always.
            return null;
        }

        var due = last + interval + (interval / 10) - time.GetUtcNow();
        return due > TimeSpan.Zero && due < interval ? due : null;
    }

    // An eighth of the interval after the first failure in a row, a quarter after the second, a half after the third,
    // then the interval (null). The count stops there, so it never wraps however long the failures last.
    private static TimeSpan? RetryWait(Schedule schedule)
    {
        schedule.FailedTicks = Math.Min(schedule.FailedTicks + 1, 4);
        var interval = Bounded(schedule.Interval);
        var retry = interval / 8 * Math.Pow(2, schedule.FailedTicks - 1);
        return retry < interval ? retry : null;
    }

    // Waits for the tick, or gives its slot back once it has held it for slotHold; the tick itself goes on.
    private async Task HoldAsync(Task running, Slot slot, Schedule schedule, CancellationToken token)
    {
        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(token);
        var hold = Task.Delay(slotHold, time, expiry.Token);
        Interlocked.Increment(ref holds);
        if (await Task.WhenAny(running, hold).ConfigureAwait(false) == hold && !token.IsCancellationRequested)
        {
            slot.Release();
            LogSlotReleased(schedule.Namespace, schedule.Name, slotHold.TotalSeconds);
        }

        await expiry.CancelAsync().ConfigureAwait(false);
    }

    // A canary whose interval cannot be read still gets a schedule: its ticks are what report the problem (a
    // condition and a Warning event), and one such canary must never stop the feed that schedules the others.
    private TimeSpan IntervalOf(Canary canary)
    {
        try
        {
            return Bounded(intervalOf(canary));
        }
        catch (Exception e)
        {
            LogIntervalUnreadable(canary.Namespace, canary.Name, e);
            return AnalysisDefaults.Interval;
        }
    }

    // Task.Delay refuses waits beyond ~49.7 days and negative ones: whatever the interval source says, the wait
    // stays within what validation allows.
    private static TimeSpan Bounded(TimeSpan interval) =>
        interval < TimeSpan.Zero ? TimeSpan.Zero : interval > FieldLimits.MaxInterval ? FieldLimits.MaxInterval : interval;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tick of canary {Name}.{Namespace} still running after {Seconds}s; it goes on without its slot so the other canaries tick")]
    private partial void LogSlotReleased(string @namespace, string name, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Tick of canary {Name}.{Namespace} failed")]
    private partial void LogTickFailed(string @namespace, string name, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Interval of canary {Name}.{Namespace} could not be read; ticking every 60s")]
    private partial void LogIntervalUnreadable(string @namespace, string name, Exception exception);

    // A tick's slot, given back once: when the tick ends, or earlier when it has held the slot too long.
    private sealed class Slot(SemaphoreSlim slots)
    {
        private int released;

        public void Release()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                slots.Release();
            }
        }
    }

    private sealed class Schedule(string @namespace, string name, TimeSpan interval, CancellationTokenSource stop, long? generation) : IDisposable
    {
        private readonly SemaphoreSlim wake = new(0, 1);
        private long? generation = generation;

        /// <summary>When the running tick started (a <see cref="TimeProvider"/> timestamp); 0 between ticks.</summary>
        public long TickStarted;

        /// <summary>Ticks in a row that failed on an API call; each doubles the wait before the retry.</summary>
        public int FailedTicks { get; set; }

        public string Namespace { get; } = @namespace;

        public string Name { get; } = name;

        public TimeSpan Interval { get; set; } = interval;

        public CancellationTokenSource Stop { get; } = stop;

        public Task Loop { get; set; } = Task.CompletedTask;

        /// <summary>Records <paramref name="seen"/>; true when it differs from the last one (or either is unknown).</summary>
        public bool SpecChanged(long? seen)
        {
            var changed = seen is null || generation is null || seen != generation;
            generation = seen;
            return changed;
        }

        public void Wake()
        {
            try
            {
                if (wake.CurrentCount == 0)
                {
                    wake.Release();
                }
            }
            catch (SemaphoreFullException)
            {
                // Already woken: one pending tick is enough.
            }
        }

        /// <summary>Waits <paramref name="wait"/> (null: one interval), or less if woken; returns the timestamp the next tick was due at.</summary>
        public async Task<long> WaitAsync(TimeProvider time, TimeSpan? wait, Action waiting, CancellationToken cancellationToken)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var interval = wait ?? Bounded(Interval);
            var due = time.GetTimestamp() + (long)(interval.TotalSeconds * time.TimestampFrequency);
            var delay = Task.Delay(interval, time, linked.Token);
            waiting();
            var woken = wake.WaitAsync(linked.Token);
            var first = await Task.WhenAny(delay, woken).ConfigureAwait(false);
            await linked.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();

            // A woken tick is due the moment it was woken, not at the end of the interval it cut short.
            return first == woken ? time.GetTimestamp() : due;
        }

        public async Task StopAsync()
        {
            await Stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped while waiting: expected.
            }

            Dispose();
        }

        public void Dispose()
        {
            Stop.Dispose();
            wake.Dispose();
        }
    }
}
