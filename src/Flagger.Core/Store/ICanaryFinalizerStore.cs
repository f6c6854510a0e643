using Flagger.Model;

namespace Flagger.Store;

/// <summary>
/// Adds and removes a finalizer on a Canary (<c>spec.revertOnDeletion</c>). Optional: without it the engine leaves
/// deletion to the API server, as before.
/// </summary>
public interface ICanaryFinalizerStore
{
    /// <summary>Adds <paramref name="finalizer"/> to the Canary's finalizers (retrying on conflict) and returns the stored Canary.</summary>
    /// <param name="canary">The Canary as last read.</param>
    /// <param name="finalizer">The finalizer's name.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    Task<Canary> AddFinalizerAsync(Canary canary, string finalizer, CancellationToken cancellationToken);

    /// <summary>
    /// Removes <paramref name="finalizer"/> (retrying on conflict). On a Canary being deleted, removing its last
    /// finalizer lets the API server delete it.
    /// </summary>
    /// <param name="canary">The Canary as last read.</param>
    /// <param name="finalizer">The finalizer's name.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    Task RemoveFinalizerAsync(Canary canary, string finalizer, CancellationToken cancellationToken);
}
