using System.Diagnostics;
using System.Globalization;
using Flagger.Testing;

namespace Flagger.Reliability.Harness;

/// <summary>What a reliability run does: how many apps and rollouts, and which chaos.</summary>
public sealed record ReliabilityRunOptions
{
    /// <summary>Apps rolled out in parallel.</summary>
    public int Apps { get; init; } = 4;

    /// <summary>Rollouts per app, one after the other.</summary>
    public int RolloutsPerApp { get; init; } = 2;

    /// <summary>Seed of every random choice (faulty revisions, faults, crash points).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>How much faster than the wall clock the cluster, mesh and operator run.</summary>
    public double Speed { get; init; } = 30;

    /// <summary>Share of the operator's API requests that fail (500, 409, 429, timeouts in equal parts); 0 for none.</summary>
    public double FaultRate { get; init; }

    /// <summary>Drop every open watch at random moments (about every 40 scaled seconds).</summary>
    public bool DropWatches { get; init; }

    /// <summary>How many times the operator is killed and a new one started during the run.</summary>
    public int Crashes { get; init; }

    /// <summary>
    /// Share of the run's expected length over which the crashes are spread: 1 spreads them over all of it, less
    /// packs them into its start, so that every one of them falls while rollouts are still under way (a restart
    /// takes wall time the expected length does not count).
    /// </summary>
    public double CrashSpread { get; init; } = 1;

    /// <summary>Print a line per operator instance when it is killed: what it spent its life on (<see cref="LifeTrace"/>).</summary>
    public bool Trace { get; init; }
}

/// <summary>The outcome of a run, with the soak's summary line.</summary>
/// <param name="Results">Each rollout's end.</param>
/// <param name="CrashesSurvived">Operator kills followed by a fresh instance.</param>
/// <param name="FastAdvances">Weight advances closer together than one interval (should be none).</param>
/// <param name="Elapsed">Wall-clock duration.</param>
public sealed record ReliabilitySummary(
    IReadOnlyList<RolloutResult> Results,
    int CrashesSurvived,
    IReadOnlyList<(WeightChange First, WeightChange Second)> FastAdvances,
    TimeSpan Elapsed)
{
    /// <summary>
    /// <c>rollouts=N correct=N false_promotions=0 false_rollbacks=0 stuck=0 crashes_survived=K</c>, the line the
    /// soak ends with.
    /// </summary>
    public string Line => string.Create(
        CultureInfo.InvariantCulture,
        $"rollouts={Results.Count} correct={Results.Count(r => r.Correct)} false_promotions={Results.Count(r => r.FalsePromotion)} false_rollbacks={Results.Count(r => r.FalseRollback)} stuck={Results.Count(r => r.Stuck)} crashes_survived={CrashesSurvived}");

    /// <summary>Every rollout that did not end as it should, one per line, for a failing assertion's message.</summary>
    public string Wrong => string.Join(Environment.NewLine, Results.Where(r => !r.Correct).Select(r => r.ToString()));
}

/// <summary>
/// The reliability harness end to end: a cluster with apps, one operator, the chosen chaos (API faults, dropped
/// watches, crashes), rollouts of known-good and known-bad revisions, and the verdict on each. The fast tests run
/// it small; <c>bench/Flagger.Soak</c> runs it at scale.
/// </summary>
public static class ReliabilityRun
{
    /// <summary>Advances closer than this count as "twice within one interval" (slack for scheduling and observation).</summary>
    public static readonly TimeSpan MinimumAdvanceSpacing = ReliabilityCluster.Interval * 0.75;

    /// <summary>Runs the scenario and returns the verdicts; <paramref name="progress"/> gets a line per rollout and crash.</summary>
    public static async Task<ReliabilitySummary> RunAsync(ReliabilityRunOptions options, TextWriter? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var wall = Stopwatch.StartNew();
        await using var cluster = await ReliabilityCluster.StartAsync(options.Speed, options.Seed, cancellationToken).ConfigureAwait(false);
        cluster.CreateApps(options.Apps);
        await using var history = WeightHistory.Start(cluster);
        var trace = options.Trace ? LifeTrace.Attach(cluster) : null;
        var generation = 0;
        trace?.Started(Name(generation));
        var current = await OperatorInstance.StartAsync(cluster, Name(generation), null, null, cancellationToken).ConfigureAwait(false);
        var driver = new RolloutDriver(cluster);
        await driver.WaitForInitializedAsync(cancellationToken).ConfigureAwait(false);

        // Chaos starts once every app is set up: the runs under test are the rollouts.
        InjectFaults(cluster.Cluster.Faults, options.FaultRate);
        using var chaos = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var random = new Random(options.Seed);
        var dropping = options.DropWatches ? DropWatchesAsync(cluster, new Random(random.Next()), chaos.Token) : Task.CompletedTask;
        var crashes = 0;
        var crashing = options.Crashes > 0 ? CrashAsync() : Task.CompletedTask;

        var plans = RolloutDriver.Plan(cluster.Apps, options.RolloutsPerApp, options.Seed);
        var results = await driver.RunAsync(plans, r => progress?.WriteLine($"{r.Plan.App} rev {r.Plan.Revision} {(r.Plan.Faulty ? "faulty" : "healthy")}: {r.Phase}{(r.Stuck ? " STUCK" : string.Empty)} in {r.Took.TotalSeconds:F0}s{(r.Correct ? string.Empty : " WRONG")}{(r.Diagnosis is null ? string.Empty : $": {r.Diagnosis}")}"), cancellationToken).ConfigureAwait(false);
        await chaos.CancelAsync().ConfigureAwait(false);
        await Quietly(dropping, chaos.Token).ConfigureAwait(false);
        await Quietly(crashing, chaos.Token).ConfigureAwait(false);
        await current.DisposeAsync().ConfigureAwait(false);
        return new ReliabilitySummary(results, crashes, history.AdvancesCloserThan(MinimumAdvanceSpacing), wall.Elapsed);

        // Spreads the crashes over the run, at three kinds of points in a tick: just after a VirtualService write
        // (before the status write that records it), just after a status write (the new operator's first tick
        // follows at once), and after a random number of requests. The next operator starts at once.
        async Task CrashAsync()
        {
            // A rollout and the pause after it take about ten intervals: spread the crashes over the whole run.
            var spacing = ReliabilityCluster.Interval * 10 * options.RolloutsPerApp * options.CrashSpread / options.Crashes;
            for (var i = 0; i < options.Crashes && !chaos.IsCancellationRequested; i++)
            {
                await cluster.DelayAsync(spacing * random.NextDouble(), chaos.Token).ConfigureAwait(false);
                var (after, counted, what) = (i % 3) switch
                {
                    0 => (1, (Func<ApiRequestInfo, bool>)IsWeightWrite, "a VirtualService write"),
                    1 => (1, IsStatusWrite, "a status write"),
                    _ => (random.Next(1, 12), _ => true, "some requests"),
                };
                await current.KillAfterAsync(after, counted, chaos.Token).ConfigureAwait(false);
                progress?.WriteLine($"killed {current.Identity} after {what}");
                if (trace is not null)
                {
                    progress?.WriteLine(trace.Describe(current.Identity));
                }

                current = await RestartAsync(cluster, () => Name(++generation), trace, progress, cancellationToken).ConfigureAwait(false);
                crashes++;
            }
        }
    }

    private static bool IsStatusWrite(ApiRequestInfo request) =>
        request.Resource == "canaries" && request.Subresource == "status" && request.Verb is "update" or "patch";

    private static bool IsWeightWrite(ApiRequestInfo request) =>
        request.Resource == "virtualservices" && request.Verb is "update" or "patch";

    /// <summary>
    /// The issue's API faults: about <paramref name="rate"/> of the operator's requests fail, in equal parts 500,
    /// 409, 429 and a hang the client must time out. Watches are not hung (the client sets no timeout on them,
    /// as client-go); they fail to start or are dropped instead.
    /// </summary>
    public static void InjectFaults(FaultInjector faults, double rate)
    {
        ArgumentNullException.ThrowIfNull(faults);
        if (rate <= 0)
        {
            return;
        }

        var share = rate / 4;
        static bool Operator(ApiRequestInfo r) => !ReliabilityCluster.IsHarness(r) && r.Resource != "leases";
        faults.FailRequests(share, 500, Operator);
        faults.FailRequests(share, 409, r => Operator(r) && r.Verb != "watch");
        faults.FailRequests(share, 429, Operator);
        faults.TimeOutRequests(share, r => Operator(r) && r.Verb != "watch");
    }

    // As the kubelet restarts a container that exits: the operator's start-up check of the CRDs fails on an
    // injected API error (as Flagger's does, exiting), and the next start is a new process.
    private static async Task<OperatorInstance> RestartAsync(ReliabilityCluster cluster, Func<string> nextName, LifeTrace? trace, TextWriter? progress, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var name = nextName();
            trace?.Started(name);
            try
            {
                return await OperatorInstance.StartAsync(cluster, name, null, null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && attempt < 20)
            {
                progress?.WriteLine($"{name} exited at start-up: {e.GetType().Name}: {e.Message.Split('\n')[0]}; restarting");
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // Fixed width: fault rules match a replica by its User-Agent containing its name, so no name may contain another.
    private static string Name(int generation) => string.Create(CultureInfo.InvariantCulture, $"flagger-replica-{generation:D4}");

    private static async Task DropWatchesAsync(ReliabilityCluster cluster, Random random, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await cluster.DelayAsync(TimeSpan.FromSeconds(20 + (40 * random.NextDouble())), cancellationToken).ConfigureAwait(false);
            cluster.Cluster.Faults.DropWatches();
        }
    }

    private static async Task Quietly(Task task, CancellationToken chaos)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (chaos.IsCancellationRequested)
        {
            // The chaos ended with the run.
        }
    }
}
