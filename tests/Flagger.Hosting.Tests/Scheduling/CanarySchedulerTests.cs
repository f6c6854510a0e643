using System.Collections.Concurrent;
using Flagger.Analysis;
using Flagger.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Hosting.Scheduling;

public sealed class CanarySchedulerTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider clock = new();
    private readonly ConcurrentDictionary<string, int> ticks = new();

    private static Canary Canary(string name, string interval = "1m", long? generation = null) => new()
    {
        Metadata = new ObjectMetadata { Name = name, Namespace = "test", Generation = generation },
        Spec = new CanarySpec { Analysis = new CanaryAnalysis { Interval = interval } },
    };

    private CanaryScheduler Scheduler(Func<string, CancellationToken, Task>? body = null, int slots = 4, Func<Canary, TimeSpan>? intervalOf = null, Func<string, int, TickReport>? report = null) => new(
        async (ns, name, ct) =>
        {
            var tick = ticks.AddOrUpdate(name, 1, (_, n) => n + 1);
            if (body is not null)
            {
                await body(name, ct);
            }

            return report?.Invoke(name, tick) ?? new TickReport();
        },
        intervalOf ?? (c => c.Spec.GetAnalysis().GetInterval()),
        clock,
        NullLogger.Instance,
        slots);

    // The schedule runs on its own tasks: wait (in real time, briefly) until it has caught up with the fake clock.
    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.True(condition(), what);
    }

    private int Ticks(string name) => ticks.GetValueOrDefault(name);

    // Advance the fake clock only once the schedules wait on it, or the advance would be lost.
    private static Task IdleAsync(CanaryScheduler scheduler, int waits) =>
        EventuallyAsync(() => scheduler.Waits >= waits, $"{waits} schedules waiting");

    [Fact]
    public async Task Ticks_at_once_then_once_per_interval()
    {
        await using var scheduler = Scheduler();
        scheduler.Upsert(Canary("podinfo"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick at once");
        await IdleAsync(scheduler, 1);

        clock.Advance(Minute / 2);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(1, Ticks("podinfo"));

        clock.Advance(Minute / 2);
        await EventuallyAsync(() => Ticks("podinfo") == 2, "second tick after one interval");
    }

    [Fact]
    public async Task A_canary_whose_interval_cannot_be_read_still_ticks_every_minute_and_the_others_are_scheduled()
    {
        await using var scheduler = Scheduler(intervalOf: c => c.Name == "hostile" ? throw new OverflowException("TimeSpan overflowed") : c.Spec.GetAnalysis().GetInterval());

        scheduler.Upsert(Canary("hostile"));
        scheduler.Upsert(Canary("podinfo"));

        await EventuallyAsync(() => Ticks("hostile") == 1 && Ticks("podinfo") == 1, "both tick at once");
        await IdleAsync(scheduler, 2);
        clock.Advance(Minute);
        await EventuallyAsync(() => Ticks("hostile") == 2 && Ticks("podinfo") == 2, "both tick after a minute");
    }

    [Fact]
    public async Task An_interval_longer_than_a_timer_holds_waits_a_day_instead_of_ending_the_schedule()
    {
        // 60 days: Task.Delay refuses anything past ~49.7 days, which used to end this canary's schedule for good.
        await using var scheduler = Scheduler(intervalOf: _ => TimeSpan.FromDays(60));
        scheduler.Upsert(Canary("podinfo"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick at once");
        await IdleAsync(scheduler, 1);

        clock.Advance(FieldLimits.MaxInterval);

        await EventuallyAsync(() => Ticks("podinfo") == 2, "second tick after a day");
    }

    [Fact]
    public async Task Tick_lateness_is_measured_against_the_end_of_the_interval()
    {
        var lags = new ConcurrentBag<double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SchedulerDiagnostics.MeterName && instrument.Name == SchedulerDiagnostics.TickLagName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => lags.Add(value));
        listener.Start();
        await using var scheduler = Scheduler();
        scheduler.Upsert(Canary("podinfo"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick at once");
        await IdleAsync(scheduler, 1);

        // The tick was due after one minute; the clock jumps 90 s, so it starts 30 s late.
        clock.Advance(Minute + (Minute / 2));

        await EventuallyAsync(() => Ticks("podinfo") == 2, "second tick");
        Assert.Contains(30_000d, lags);
    }

    [Fact]
    public async Task Trigger_ticks_now_without_waiting_for_the_interval()
    {
        await using var scheduler = Scheduler();
        scheduler.Upsert(Canary("podinfo"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick");

        scheduler.Trigger("test", "podinfo");

        await EventuallyAsync(() => Ticks("podinfo") == 2, "triggered tick");
    }

    [Fact]
    public async Task Ticks_of_one_canary_never_overlap()
    {
        var running = 0;
        var overlapped = false;
        var release = new TaskCompletionSource();
        await using var scheduler = Scheduler(async (_, ct) =>
        {
            overlapped |= Interlocked.Increment(ref running) > 1;
            await release.Task.WaitAsync(ct);
            Interlocked.Decrement(ref running);
        });
        scheduler.Upsert(Canary("podinfo"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick started");

        scheduler.Trigger("test", "podinfo");
        scheduler.Trigger("test", "podinfo");
        clock.Advance(Minute * 3);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(1, Ticks("podinfo"));

        release.SetResult();
        await EventuallyAsync(() => Ticks("podinfo") == 2, "the pending trigger runs after the tick");
        Assert.False(overlapped);
    }

    [Fact]
    public async Task A_hanging_canary_does_not_hold_up_the_others()
    {
        await using var scheduler = Scheduler((name, ct) => name == "stuck" ? Task.Delay(Timeout.Infinite, ct) : Task.CompletedTask, slots: 2);
        scheduler.Upsert(Canary("stuck"));
        scheduler.Upsert(Canary("podinfo"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "podinfo ticks");

        for (var i = 2; i <= 4; i++)
        {
            await IdleAsync(scheduler, i - 1);
            clock.Advance(Minute);
            var expected = i;
            await EventuallyAsync(() => Ticks("podinfo") == expected, $"podinfo tick {expected}");
        }

        Assert.Equal(1, Ticks("stuck"));
    }

    [Fact]
    public async Task Twenty_canaries_hanging_in_a_60m_hook_delay_the_healthy_ones_by_at_most_the_slot_hold()
    {
        // Sixteen slots, as the operator has by default, and more canaries hanging than slots: each hangs in a hook
        // whose timeout is 60m, on the virtual clock. Before slots were bounded, the healthy canaries waited the hour.
        var started = new ConcurrentDictionary<string, List<DateTimeOffset>>();
        await using var scheduler = Scheduler(
            async (name, ct) =>
            {
                started.GetOrAdd(name, _ => []).Add(clock.GetUtcNow());
                if (name.StartsWith("hanging", StringComparison.Ordinal))
                {
                    await Task.Delay(TimeSpan.FromMinutes(60), clock, ct);
                }
            },
            slots: 16);
        var t0 = clock.GetUtcNow();
        for (var i = 0; i < 20; i++)
        {
            scheduler.Upsert(Canary($"hanging-{i}"));
        }

        string[] healthy = ["podinfo", "frontend", "backend"];
        foreach (var name in healthy)
        {
            scheduler.Upsert(Canary(name));
        }

        // The sixteen slots are taken by hanging ticks; once each has held its slot for the bound, the rest tick.
        await EventuallyAsync(() => scheduler.Holds >= 16, "the hanging ticks hold every slot");
        Assert.All(healthy, name => Assert.Equal(0, Ticks(name)));
        clock.Advance(CanaryScheduler.SlotHold);
        await EventuallyAsync(() => healthy.All(name => Ticks(name) == 1), "the healthy canaries tick");
        await EventuallyAsync(() => Enumerable.Range(0, 20).All(i => Ticks($"hanging-{i}") == 1), "every hanging canary started its tick");

        // Then every minute, each healthy tick within the bound of when it was due, while the others still hang.
        for (var minute = 1; minute <= 3; minute++)
        {
            await EventuallyAsync(() => scheduler.Waits >= 3 * minute && scheduler.Holds >= 20, "the healthy canaries wait for their next tick");
            clock.Advance(Minute);
            var expected = minute + 1;
            await EventuallyAsync(() => healthy.All(name => Ticks(name) == expected), $"healthy tick {expected}");
        }

        foreach (var name in healthy)
        {
            var times = started[name];
            Assert.True(times[0] - t0 <= CanaryScheduler.SlotHold, $"{name} first ticked {times[0] - t0} after it was due");
            for (var k = 1; k < times.Count; k++)
            {
                Assert.True(times[k] - times[k - 1] <= Minute + CanaryScheduler.SlotHold, $"{name} tick {k + 1} came {times[k] - times[k - 1]} after the one before");
            }
        }

        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(1, Ticks($"hanging-{i}")));
    }

    [Fact]
    public async Task Removed_canary_stops_ticking()
    {
        await using var scheduler = Scheduler();
        scheduler.Upsert(Canary("podinfo"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick");

        await scheduler.RemoveAsync("test", "podinfo");
        clock.Advance(Minute * 5);
        await Task.Delay(50, TestContext.Current.CancellationToken);

        Assert.Equal(1, Ticks("podinfo"));
        Assert.Equal(0, scheduler.Count);
    }

    [Fact]
    public async Task A_failing_tick_is_logged_and_the_schedule_goes_on()
    {
        await using var scheduler = Scheduler((_, _) => Ticks("podinfo") == 1 ? throw new InvalidOperationException("bug") : Task.CompletedTask);
        scheduler.Upsert(Canary("podinfo"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick");
        await IdleAsync(scheduler, 1);

        clock.Advance(Minute);

        await EventuallyAsync(() => Ticks("podinfo") == 2, "next tick after the failure");
    }

    [Fact]
    public async Task Interval_change_takes_effect_on_upsert()
    {
        await using var scheduler = Scheduler();
        scheduler.Upsert(Canary("podinfo", "5m"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick");

        scheduler.Upsert(Canary("podinfo", "10s"));
        await EventuallyAsync(() => Ticks("podinfo") == 2, "spec change ticks at once");
        await IdleAsync(scheduler, 2);
        clock.Advance(TimeSpan.FromSeconds(10));

        await EventuallyAsync(() => Ticks("podinfo") == 3, "then every 10s");
    }

    [Fact]
    public async Task A_status_only_update_does_not_tick_early_but_a_spec_change_does()
    {
        await using var scheduler = Scheduler();
        scheduler.Upsert(Canary("podinfo", generation: 1));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick");
        await IdleAsync(scheduler, 1);

        // The tick's own status write seen on the watch: same generation, so the analysis waits its interval.
        scheduler.Upsert(Canary("podinfo", generation: 1));
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Equal(1, Ticks("podinfo"));

        scheduler.Upsert(Canary("podinfo", generation: 2));
        await EventuallyAsync(() => Ticks("podinfo") == 2, "a spec change ticks at once");
    }

    [Fact]
    public async Task A_tick_that_failed_on_an_api_call_is_retried_after_an_eighth_of_the_interval_then_backs_off_to_the_interval()
    {
        // Three ticks fail (an injected 500 on the status write, say), then they succeed.
        await using var scheduler = Scheduler(report: (_, tick) => tick <= 3 ? new TickReport { Failure = "status: injected fault: 500" } : new TickReport());
        scheduler.Upsert(Canary("podinfo"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick at once");
        await IdleAsync(scheduler, 1);

        clock.Advance(Minute / 8);
        await EventuallyAsync(() => Ticks("podinfo") == 2, "the failed tick retried after 7.5s, not a minute");
        await IdleAsync(scheduler, 2);

        clock.Advance(Minute / 8);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(2, Ticks("podinfo"));
        clock.Advance(Minute / 8);
        await EventuallyAsync(() => Ticks("podinfo") == 3, "the second failure in a row waits twice as long");
        await IdleAsync(scheduler, 3);

        clock.Advance(Minute / 2);
        await EventuallyAsync(() => Ticks("podinfo") == 4, "the third after 30s");
        await IdleAsync(scheduler, 4);

        // The fourth tick succeeded: back to one per interval.
        clock.Advance(Minute / 2);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(4, Ticks("podinfo"));
        clock.Advance(Minute / 2);
        await EventuallyAsync(() => Ticks("podinfo") == 5, "a minute after the tick that succeeded");
    }

    [Fact]
    public async Task A_tick_that_threw_is_retried_after_an_eighth_of_the_interval_like_one_that_reported_its_failure()
    {
        // The finalizer's writes throw rather than report: a 500 while a deleted canary with revertOnDeletion is
        // reverted must not put the revert off by a whole interval. Two ticks throw, then they succeed.
        await using var scheduler = Scheduler((_, _) => Ticks("podinfo") <= 2 ? throw new HttpRequestException("500 Internal Server Error") : Task.CompletedTask);
        scheduler.Upsert(Canary("podinfo"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick at once");
        await IdleAsync(scheduler, 1);

        clock.Advance(Minute / 8);
        await EventuallyAsync(() => Ticks("podinfo") == 2, "the tick that threw retried after 7.5s, not a minute");
        await IdleAsync(scheduler, 2);

        clock.Advance(Minute / 8);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(2, Ticks("podinfo"));
        clock.Advance(Minute / 8);
        await EventuallyAsync(() => Ticks("podinfo") == 3, "the second in a row waits twice as long");
        await IdleAsync(scheduler, 3);

        // The third succeeded: one per interval again.
        clock.Advance(Minute - TimeSpan.FromSeconds(1));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(3, Ticks("podinfo"));
        clock.Advance(TimeSpan.FromSeconds(1));
        await EventuallyAsync(() => Ticks("podinfo") == 4, "a minute after the tick that succeeded");
    }

    [Fact]
    public async Task A_first_tick_whose_step_was_not_due_is_followed_by_one_at_the_due_time_not_a_whole_interval_later()
    {
        // A restarted operator: its predecessor stepped 50 s ago (the status time), so this first tick changes
        // nothing; the step is due 10 s from now, and the next tick comes a tenth of the interval after that.
        var stepped = clock.GetUtcNow() - TimeSpan.FromSeconds(50);
        var canary = Canary("podinfo") with { Status = new CanaryStatus { Phase = CanaryPhase.Progressing, CanaryWeight = 25, LastTransitionTime = stepped } };
        await using var scheduler = Scheduler(report: (_, _) => new TickReport { Canary = canary });
        scheduler.Upsert(canary);
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick at once");
        await IdleAsync(scheduler, 1);

        clock.Advance(TimeSpan.FromSeconds(15));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(1, Ticks("podinfo"));
        clock.Advance(TimeSpan.FromSeconds(1));
        await EventuallyAsync(() => Ticks("podinfo") == 2, "the tick at the step's due time (+6s slack)");
        await IdleAsync(scheduler, 2);

        // That tick changed nothing either (the status time is now long past): one per interval again.
        clock.Advance(Minute - TimeSpan.FromSeconds(1));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(2, Ticks("podinfo"));
        clock.Advance(TimeSpan.FromSeconds(1));
        await EventuallyAsync(() => Ticks("podinfo") == 3, "then once per interval");
    }

    [Fact]
    public async Task A_tick_that_changed_the_status_waits_a_whole_interval()
    {
        // The tick stepped: its status time is its own start, so the next step is an interval after the tick ends.
        await using var scheduler = Scheduler(report: (_, _) => new TickReport
        {
            Canary = Canary("podinfo") with { Status = new CanaryStatus { Phase = CanaryPhase.Progressing, LastTransitionTime = clock.GetUtcNow() } },
        });
        scheduler.Upsert(Canary("podinfo"));
        await EventuallyAsync(() => Ticks("podinfo") == 1, "first tick at once");
        await IdleAsync(scheduler, 1);

        clock.Advance(Minute - TimeSpan.FromSeconds(1));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(1, Ticks("podinfo"));
        clock.Advance(TimeSpan.FromSeconds(1));
        await EventuallyAsync(() => Ticks("podinfo") == 2, "one interval later");
    }
}
