using Flagger.Leadership;

namespace Flagger.Kubernetes.Leadership;

/// <summary>
/// Leader election on the <c>flagger-leader-election</c> Lease. Registered as the host's <see cref="ILeaderGate"/>
/// when <see cref="KubernetesOptions.EnableLeaderElection"/> is on.
/// </summary>
public interface ILeaseLeadership : ILeaderGate
{
    /// <summary>Whether this replica leads right now.</summary>
    bool IsLeader { get; }
}
