using Flagger.Model;
using k8s;

namespace Flagger.Reliability.Harness;

/// <summary>One planned rollout: revision <see cref="Revision"/> of <see cref="App"/>, known in advance to be faulty or healthy.</summary>
/// <param name="App">The app (Deployment and Canary name).</param>
/// <param name="Revision">Revision number, increasing per app.</param>
/// <param name="Faulty">Whether its pods answer 5xx.</param>
public sealed record RolloutPlan(string App, int Revision, bool Faulty);

/// <summary>How a rollout ended.</summary>
/// <param name="Plan">What was rolled out.</param>
/// <param name="Phase">The Canary's phase at the end (or when the deadline passed).</param>
/// <param name="PrimaryRevision">The revision the primary runs afterwards.</param>
/// <param name="Stuck">The rollout did not end before its deadline.</param>
/// <param name="Took">Scaled time from the new revision to the end.</param>
/// <param name="Diagnosis">For a stuck rollout, the Canary's status and its last events.</param>
public sealed record RolloutResult(RolloutPlan Plan, CanaryPhase? Phase, int? PrimaryRevision, bool Stuck, TimeSpan Took, string? Diagnosis = null)
{
    /// <summary>A faulty revision reached the primary.</summary>
    public bool FalsePromotion => Plan.Faulty && PrimaryRevision == Plan.Revision;

    /// <summary>A healthy revision was rolled back.</summary>
    public bool FalseRollback => !Plan.Faulty && Phase == CanaryPhase.Failed;

    /// <summary>Ended as it should: healthy promoted (Succeeded, primary runs it), faulty rolled back (Failed, primary does not).</summary>
    public bool Correct => !Stuck && (Plan.Faulty
        ? Phase == CanaryPhase.Failed && PrimaryRevision != Plan.Revision
        : Phase == CanaryPhase.Succeeded && PrimaryRevision == Plan.Revision);
}

/// <summary>
/// Rolls out revisions app by app (apps in parallel, each app's revisions one after the other, as a team ships)
/// and records how each ended. Half of the revisions, chosen by the seed, are faulty.
/// </summary>
public sealed class RolloutDriver(ReliabilityCluster cluster)
{
    /// <summary>How long a rollout may take before it counts as stuck: far beyond the ~6 intervals a healthy one needs.</summary>
    public static readonly TimeSpan Deadline = ReliabilityCluster.Interval * 40;

    // A third of an interval: fine enough to see every run end, light enough for dozens of apps at once.
    private static readonly TimeSpan Poll = ReliabilityCluster.Interval / 3;

    /// <summary>Plans <paramref name="perApp"/> rollouts for each app, exactly half of them faulty (rounded down), shuffled by <paramref name="seed"/>.</summary>
    public static IReadOnlyList<RolloutPlan> Plan(IReadOnlyList<string> apps, int perApp, int seed)
    {
        ArgumentNullException.ThrowIfNull(apps);
        var total = apps.Count * perApp;
        var faulty = Enumerable.Range(0, total).Select(i => i < total / 2).ToArray();
        new Random(seed).Shuffle(faulty);
        return [.. apps.SelectMany((app, a) => Enumerable.Range(1, perApp).Select(r => new RolloutPlan(app, r, faulty[(a * perApp) + r - 1])))];
    }

    /// <summary>Waits until every app's Canary is Initialized and its traffic flows.</summary>
    public async Task WaitForInitializedAsync(CancellationToken cancellationToken)
    {
        var deadline = cluster.Now + Deadline;
        while (true)
        {
            var canaries = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (canaries is not null && cluster.Apps.All(a => canaries.GetValueOrDefault(a)?.Status?.Phase == CanaryPhase.Initialized) && cluster.TryStartTraffic(cluster.Apps))
            {
                return;
            }

            if (cluster.Now > deadline)
            {
                throw new TimeoutException($"canaries not initialized: {string.Join(", ", cluster.Apps.Select(a => $"{a}={canaries?.GetValueOrDefault(a)?.Status?.Phase}"))}");
            }

            await cluster.DelayAsync(Poll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs every plan; <paramref name="onEnded"/> sees each result as it comes (a soak prints progress with it).</summary>
    public async Task<IReadOnlyList<RolloutResult>> RunAsync(IReadOnlyList<RolloutPlan> plans, Action<RolloutResult>? onEnded, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plans);
        var results = new List<RolloutResult>();
        var perApp = plans.GroupBy(p => p.App).Select(async group =>
        {
            foreach (var plan in group.OrderBy(p => p.Revision))
            {
                var result = await RollOutAsync(plan, cancellationToken).ConfigureAwait(false);
                lock (results)
                {
                    results.Add(result);
                }

                onEnded?.Invoke(result);

                // Let the metric window (30 s) pass, so the next revision is judged on its own requests only.
                await cluster.DelayAsync(ReliabilityCluster.Interval * 2, cancellationToken).ConfigureAwait(false);
            }
        });
        await Task.WhenAll(perApp).ConfigureAwait(false);
        return results;
    }

    private async Task<RolloutResult> RollOutAsync(RolloutPlan plan, CancellationToken cancellationToken)
    {
        var before = (await ReadOneAsync(plan.App, cancellationToken).ConfigureAwait(false))?.Status?.LastAppliedSpec;
        var started = cluster.Now;
        cluster.SetRevision(plan.App, plan.Revision, plan.Faulty);
        while (true)
        {
            await cluster.DelayAsync(Poll, cancellationToken).ConfigureAwait(false);
            var status = (await ReadOneAsync(plan.App, cancellationToken).ConfigureAwait(false))?.Status;

            // The run has ended once the status names a new revision and a final phase.
            var ended = status?.LastAppliedSpec != before && status?.Phase is CanaryPhase.Succeeded or CanaryPhase.Failed;
            var stuck = !ended && cluster.Now - started > Deadline;
            if (ended || stuck)
            {
                var primary = await cluster.PrimaryRevisionAsync(plan.App, cancellationToken).ConfigureAwait(false);
                var diagnosis = stuck ? await DiagnoseAsync(plan.App, status, cancellationToken).ConfigureAwait(false) : null;
                return new RolloutResult(plan, status?.Phase, primary, stuck, cluster.Now - started, diagnosis);
            }
        }
    }

    private async Task<string> DiagnoseAsync(string app, CanaryStatus? status, CancellationToken cancellationToken)
    {
        var events = await cluster.Client.CoreV1.ListNamespacedEventAsync(
            ReliabilityCluster.Namespace, fieldSelector: $"involvedObject.name={app}", cancellationToken: cancellationToken).ConfigureAwait(false);
        var last = events.Items.OrderBy(e => e.LastTimestamp ?? e.EventTime).TakeLast(4).Select(e => $"{e.LastTimestamp:HH:mm:ss} x{e.Count} {e.Message}");
        return $"weight {status?.CanaryWeight} failedChecks {status?.FailedChecks} since {status?.LastTransitionTime:HH:mm:ss} (now {cluster.Now:HH:mm:ss}); {string.Join(" | ", last)}";
    }

    private async Task<Canary?> ReadOneAsync(string app, CancellationToken cancellationToken)
    {
        try
        {
            return await cluster.ReadCanaryAsync(app, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private async Task<IReadOnlyDictionary<string, Canary>?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await cluster.ReadCanariesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            // The harness is exempt from faults, but a dropped connection is still possible; poll again.
            return null;
        }
    }
}
