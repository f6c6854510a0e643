namespace Flagger.Kubernetes.Leadership;

/// <summary>
/// Leader election on the <c>flagger-leader-election</c> Lease. A host waits for a term and stops all scheduling
/// when the term's token is cancelled.
/// </summary>
public interface ILeaseLeadership
{
    /// <summary>Waits until this replica leads; the token returned is cancelled the moment leadership is lost.</summary>
    /// <param name="cancellationToken">Stops campaigning (and ends a term in progress).</param>
    /// <returns>A token that lives as long as this term of leadership.</returns>
    Task<CancellationToken> AcquireAsync(CancellationToken cancellationToken);

    /// <summary>Whether this replica leads right now.</summary>
    bool IsLeader { get; }
}
