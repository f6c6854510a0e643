namespace Flagger.Hosting.Scheduling;

/// <summary>
/// How much of a canary's current tick is left for its webhooks: one analysis interval from the tick's start. The
/// webhook client asks it before each attempt, so however many hooks a tick calls, with whatever timeouts and retries,
/// they take at most one interval together, and the canary's next tick is not pushed back by its own hooks.
/// </summary>
internal sealed class TickBudgets
{
    private volatile CanaryScheduler? scheduler;

    /// <summary>Answers from <paramref name="current"/> (the leader's scheduler) from now on.</summary>
    public void Attach(CanaryScheduler current) => scheduler = current;

    /// <summary>Stops answering from <paramref name="ended"/> (its term ended).</summary>
    public void Detach(CanaryScheduler ended) => Interlocked.CompareExchange(ref scheduler, null, ended);

    /// <summary>The time left in the running tick of the canary and its interval, or null when it is not ticking under a scheduler.</summary>
    public (TimeSpan Left, TimeSpan Interval)? Remaining(string @namespace, string name) => scheduler?.Remaining(@namespace, name);
}
