using Flagger.Analysis;
using Flagger.Kubernetes;
using Flagger.Metrics;
using Flagger.Operator;
using Flagger.Testing.Mesh;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Flagger.Reliability.Harness;

/// <summary>
/// One operator process, as <c>samples/Flagger.Operator</c> builds it from Flagger's flags, on the reliability
/// cluster's scaled clock and mesh metrics. Its API requests carry its own User-Agent, so it can be killed or
/// partitioned alone: a kill cuts it off from the API server at once (nothing it sends afterwards lands, as when
/// a process dies) and then tears the host down without a graceful stop.
/// </summary>
public sealed class OperatorInstance : IAsyncDisposable
{
    private readonly ReliabilityCluster cluster;
    private readonly WebApplication app;
    private int cutOff;
    private int leaseCutOff;
    private int disposed;

    private OperatorInstance(ReliabilityCluster cluster, string identity, WebApplication app)
    {
        this.cluster = cluster;
        Identity = identity;
        this.app = app;
    }

    /// <summary>The replica's name: its User-Agent and its Lease identity.</summary>
    public string Identity { get; }

    /// <summary>True once killed or partitioned.</summary>
    public bool IsCutOff => Volatile.Read(ref cutOff) != 0;

    /// <summary>The host's services (to read the scheduler's state or options).</summary>
    public IServiceProvider Services => app.Services;

    /// <summary>Builds and starts a replica.</summary>
    /// <param name="cluster">The cluster it runs against.</param>
    /// <param name="identity">Unique name of this replica.</param>
    /// <param name="leaderElection">Lease timings (wall clock, as KubernetesClient's elector uses), or null for a single replica.</param>
    /// <param name="configure">Extra service changes (a test's webhook client, ...).</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    public static async Task<OperatorInstance> StartAsync(
        ReliabilityCluster cluster,
        string identity,
        LeaseTimings? leaderElection,
        Action<IServiceCollection>? configure,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        string[] flags = ["-kubeconfig", cluster.Kubeconfig, "-port", "0", "-log-level", "error", "-mesh-provider", "istio"];
        if (leaderElection is not null)
        {
            flags = [.. flags, "-enable-leader-election", "-leader-election-namespace", "kube-system"];
        }

        var app = OperatorHost.Build(flags, services =>
        {
            // Quiet: a run with thousands of injected faults would drown the test output in expected errors.
            // FLAGGER_RELIABILITY_LOGS=1 keeps the operator's error log, to find out why a run went wrong.
            if (Environment.GetEnvironmentVariable("FLAGGER_RELIABILITY_LOGS") != "1")
            {
                services.AddLogging(b => b.ClearProviders());
            }
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(cluster.Time);
            Replace(services, new SimulatedMeshMetrics(cluster.Mesh));
            services.PostConfigure<KubernetesOptions>(o =>
            {
                o.ClientConfiguration!.UserAgent = identity;

                // A hung request (an injected timeout) gives up after one analysis interval of scaled time rather
                // than the client's 100 s of wall clock: the proportion of a production client's timeout to a 1m
                // interval, so a hang costs a tick, not a whole rollout.
                o.ClientConfiguration.HttpClientTimeout = cluster.Time.Scale(ReliabilityCluster.Interval);
                o.LeaderElectionIdentity = identity;

                // The caches' retry backoff and hung-watch deadline on the same scaled clock: on the wall clock, a
                // failed list's 200 ms backoff cost 6 scaled seconds (40% of an interval, against 0.3% of a 1m
                // interval in production), and most starts under 10% faults met one.
                o.CacheClock = cluster.Time;

                if (leaderElection is not null)
                {
                    o.LeaseDuration = leaderElection.LeaseDuration;
                    o.RenewDeadline = leaderElection.RenewDeadline;
                    o.RetryPeriod = leaderElection.RetryPeriod;
                }
            });
            configure?.Invoke(services);
        });
        try
        {
            await OperatorHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new OperatorInstance(cluster, identity, app);
    }

    /// <summary>True for requests this replica sends (no replica's name may contain another's).</summary>
    public bool Sent(Testing.ApiRequestInfo request) =>
        request?.UserAgent?.Contains(Identity, StringComparison.Ordinal) == true;

    /// <summary>
    /// Cuts the replica off from the API server: every request it sends from now on fails, or with
    /// <paramref name="hang"/> is never answered, as behind a link that drops packets (its watches then fail to
    /// start instead: a hung watch is given up only at the informer's watch deadline, minutes after the link heals).
    /// </summary>
    public void Partition(bool hang = false)
    {
        Volatile.Write(ref cutOff, 1);
        if (hang)
        {
            cluster.Cluster.Faults.TimeOutRequests(1.0, r => Sent(r) && IsCutOff && r.Verb != "watch");
        }

        cluster.Cluster.Faults.FailRequests(1.0, 503, r => Sent(r) && IsCutOff);
    }

    /// <summary>True once only its Lease calls are cut off (<see cref="PartitionLease"/>).</summary>
    public bool IsLeaseCutOff => Volatile.Read(ref leaseCutOff) != 0;

    /// <summary>
    /// Fails only the replica's Lease calls (503), while every other request it sends still reaches the API server:
    /// a partition that hides its renewals and nothing else, as a broken route to one endpoint or a webhook that
    /// refuses Lease updates would. Only the elector can then tell the replica to stop.
    /// </summary>
    public void PartitionLease()
    {
        if (Interlocked.Exchange(ref leaseCutOff, 1) == 0)
        {
            cluster.Cluster.Faults.FailRequests(1.0, 503, r => Sent(r) && IsLeaseCutOff && r.Resource == "leases");
        }
    }

    /// <summary>Heals a partition: the replica reaches the API server again.</summary>
    public void Heal() => Volatile.Write(ref cutOff, 0);

    /// <summary>
    /// Kills the replica once <paramref name="requests"/> more of its API requests matching <paramref name="counted"/>
    /// have been served: every request after that one fails, wherever in a tick it falls (between a VirtualService
    /// write and the status write that records it, say). Completes when the replica is dead.
    /// </summary>
    public async Task KillAfterAsync(int requests, Func<Testing.ApiRequestInfo, bool> counted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(counted);
        var dead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remaining = requests;

        // Decided inside the API server as each request arrives, so the cut falls between two calls of a tick.
        cluster.Cluster.Faults.FailRequests(1.0, 503, r =>
        {
            if (!Sent(r))
            {
                return false;
            }

            if (IsCutOff)
            {
                return true;
            }

            if (counted(r) && Interlocked.Decrement(ref remaining) == 0)
            {
                Volatile.Write(ref cutOff, 1);
                dead.TrySetResult();
            }

            return false;
        });
        await dead.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await TearDownAsync().ConfigureAwait(false);
    }

    /// <summary>Kills the replica now.</summary>
    public async Task KillAsync()
    {
        Partition();
        await TearDownAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        if (!IsCutOff)
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await app.StopAsync(stopping.Token).ConfigureAwait(false);
        }

        await app.DisposeAsync().ConfigureAwait(false);
    }

    // No graceful stop: the stop token is already cancelled, so nothing waits for ticks under way; disposing
    // the container then disposes the Kubernetes client under them.
    private async Task TearDownAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        using var now = new CancellationTokenSource();
        await now.CancelAsync().ConfigureAwait(false);
        try
        {
            await app.StopAsync(now.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected: nothing was waited for.
        }

        await app.DisposeAsync().ConfigureAwait(false);
    }

    private static void Replace(IServiceCollection services, IMetricsProviderFactory metrics)
    {
        foreach (var prometheus in services.Where(d => d.IsKeyedService && d.ServiceType == typeof(IMetricsProviderFactory) && Equals(d.ServiceKey, "prometheus")).ToList())
        {
            services.Remove(prometheus);
        }

        services.AddKeyedSingleton("prometheus", metrics);
    }
}

/// <summary>Leader-election timings for a replica (wall clock).</summary>
/// <param name="LeaseDuration">How long a Lease holds without renewal.</param>
/// <param name="RenewDeadline">How long the leader keeps trying to renew before it stops leading.</param>
/// <param name="RetryPeriod">Between election attempts.</param>
public sealed record LeaseTimings(TimeSpan LeaseDuration, TimeSpan RenewDeadline, TimeSpan RetryPeriod);
