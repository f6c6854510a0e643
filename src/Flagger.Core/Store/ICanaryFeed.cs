using Flagger.Model;

namespace Flagger.Store;

/// <summary>Tells the scheduler which canaries exist and when one needs a tick now (watch-fed in the operator).</summary>
public interface ICanaryFeed
{
    /// <summary>
    /// Every canary known at the start (as <see cref="CanaryChangeType.Upserted"/>), then one
    /// <see cref="CanaryChangeType.Listed"/>, then changes as they happen, until cancelled.
    /// </summary>
    IAsyncEnumerable<CanaryChange> WatchAsync(CancellationToken cancellationToken);
}

/// <summary>A change the scheduler reacts to.</summary>
/// <param name="Type">What changed.</param>
/// <param name="Namespace">Canary namespace.</param>
/// <param name="Name">Canary name.</param>
/// <param name="Canary">The canary, for upserts.</param>
public sealed record CanaryChange(CanaryChangeType Type, string Namespace, string Name, Canary? Canary = null);

/// <summary>Kinds of change.</summary>
public enum CanaryChangeType
{
    /// <summary>The Canary was created or its spec changed: (re)schedule it and tick now.</summary>
    Upserted,

    /// <summary>The Canary is gone: stop its schedule.</summary>
    Deleted,

    /// <summary>Something the canary references changed (a new revision): tick now.</summary>
    TargetChanged,

    /// <summary>
    /// Every canary that existed at the start has been sent (none at all, in a new cluster): the operator is ready.
    /// Carries no canary; <see cref="CanaryChange.Namespace"/> and <see cref="CanaryChange.Name"/> are empty.
    /// </summary>
    Listed,
}
