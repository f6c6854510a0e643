namespace Flagger.Leadership;

/// <summary>
/// Decides whether this replica may drive canaries. A host schedules ticks only inside a term; when the term's
/// token is cancelled every schedule stops at once, so two replicas never drive the same canary.
/// </summary>
public interface ILeaderGate
{
    /// <summary>Waits until this replica leads; the token returned is cancelled the moment leadership is lost.</summary>
    /// <param name="cancellationToken">Stops campaigning (and ends a term in progress).</param>
    /// <returns>A token that lives as long as this term of leadership.</returns>
    Task<CancellationToken> AcquireAsync(CancellationToken cancellationToken);
}

/// <summary>A single replica always leads (leader election off).</summary>
public sealed class AlwaysLeader : ILeaderGate
{
    /// <summary>The shared instance.</summary>
    public static AlwaysLeader Instance { get; } = new();

    /// <inheritdoc />
    public Task<CancellationToken> AcquireAsync(CancellationToken cancellationToken) => Task.FromResult(CancellationToken.None);
}
