using System.Net;
using k8s.Autorest;

namespace Flagger.Kubernetes;

/// <summary>
/// Optimistic concurrency, as client-go's <c>retry.RetryOnConflict</c>: a read-decide-write step is run again from
/// its read when its write loses a race with another writer. The one place Flagger's packages recognise a
/// 409 Conflict (a stale <c>resourceVersion</c> on update, or AlreadyExists on create).
/// </summary>
public static class RetryOnConflict
{
    /// <summary>True when <paramref name="exception"/> is the API server's 409 Conflict answer.</summary>
    /// <param name="exception">What a KubernetesClient call threw.</param>
    /// <returns>Whether the write lost an optimistic-concurrency race.</returns>
    public static bool IsConflict(Exception exception) =>
        exception is HttpOperationException { Response: { } response } && response.StatusCode == HttpStatusCode.Conflict;

    /// <summary>
    /// Runs <paramref name="step"/>, and runs it again after each 409 Conflict, up to <paramref name="retries"/> more
    /// times; the last conflict, and any other failure, is thrown to the caller.
    /// </summary>
    /// <typeparam name="T">What the step returns.</typeparam>
    /// <param name="retries">How many times a conflicting step is run again (a package's <c>ConflictRetries</c> option).</param>
    /// <param name="step">The read-decide-write step; it receives the attempt number (0 first), so that a retry can read live where the first attempt read a cache.</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>What the successful attempt returned.</returns>
    public static async Task<T> RunAsync<T>(int retries, Func<int, CancellationToken, Task<T>> step, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        ArgumentNullException.ThrowIfNull(step);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await step(attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (IsConflict(e) && attempt < retries)
            {
                // Someone else wrote in between: read again and decide again.
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="step"/>, and runs it again after each 409 Conflict, up to <paramref name="retries"/> more
    /// times; the last conflict, and any other failure, is thrown to the caller.
    /// </summary>
    /// <param name="retries">How many times a conflicting step is run again (a package's <c>ConflictRetries</c> option).</param>
    /// <param name="step">The read-decide-write step.</param>
    /// <param name="cancellationToken">Cancels the step.</param>
    /// <returns>A task that completes when an attempt has succeeded.</returns>
    public static Task RunAsync(int retries, Func<CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(step);
        return RunAsync(
            retries,
            async (_, ct) =>
            {
                await step(ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }
}
