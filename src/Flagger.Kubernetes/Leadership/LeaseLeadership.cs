using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Options;

namespace Flagger.Kubernetes.Leadership;

/// <summary>KubernetesClient's <see cref="LeaderElector"/> on a <see cref="LeaseLock"/>, one elector per term.</summary>
internal sealed class LeaseLeadership(IKubernetes client, IOptions<KubernetesOptions> options) : ILeaseLeadership, IDisposable
{
    /// <summary>Flagger's Lease name (kept for compatibility with its Helm chart and RBAC).</summary>
    public const string LeaseName = "flagger-leader-election";

    private readonly string identity = options.Value.LeaderElectionIdentity ?? $"{Environment.MachineName}_{Guid.NewGuid()}";
    private CancellationTokenSource? term;
    private LeaderElector? elector;

    public bool IsLeader => elector?.IsLeader() == true;

    public async Task<CancellationToken> AcquireAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var ns = string.IsNullOrEmpty(o.Namespace) ? o.LeaderElectionNamespace : o.Namespace;
        var config = new LeaderElectionConfig(new LeaseLock(client, ns, LeaseName, identity))
        {
            LeaseDuration = o.LeaseDuration,
            RenewDeadline = o.RenewDeadline,
            RetryPeriod = o.RetryPeriod,
        };
        elector?.Dispose();
        term?.Dispose();
        var current = term = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        elector = new LeaderElector(config);
        elector.OnStartedLeading += () => started.TrySetResult(current.Token);

        // Events are synchronous: cancel, never block, so every schedule stops at once.
        elector.OnStoppedLeading += () => End(current);
        var run = elector.RunUntilLeadershipLostAsync(current.Token);
        _ = run.ContinueWith(
            t =>
            {
                started.TrySetCanceled(cancellationToken.IsCancellationRequested ? cancellationToken : new CancellationToken(true));
                End(current);
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return await started.Task.ConfigureAwait(false);
    }

    private static void End(CancellationTokenSource current)
    {
        try
        {
            current.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // A later term replaced this one; it already ended.
        }
    }

    public void Dispose()
    {
        elector?.Dispose();
        term?.Dispose();
    }
}
