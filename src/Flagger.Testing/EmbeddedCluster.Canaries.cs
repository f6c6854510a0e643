using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Flagger.Model;
using Flagger.Testing.Storage;

namespace Flagger.Testing;

/// <summary>Typed reads of Canaries, for tests: no client, JSON or polling loop of their own.</summary>
public sealed partial class EmbeddedCluster
{
    /// <summary>The Canary as stored now, or null when there is none.</summary>
    /// <param name="namespace">The Canary's namespace.</param>
    /// <param name="name">The Canary's name.</param>
    /// <returns>The Canary with its status.</returns>
    public Canary? GetCanary(string @namespace, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Store.TryGet(CanaryType, @namespace, name) is { } stored ? Read(stored) : null;
    }

    /// <summary>
    /// The Canary now and after every change to it (status included), until it is deleted or
    /// <paramref name="cancellationToken"/> fires. Nothing is missed between the first read and the changes.
    /// </summary>
    /// <param name="namespace">The Canary's namespace.</param>
    /// <param name="name">The Canary's name.</param>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <returns>Each version of the Canary.</returns>
    public async IAsyncEnumerable<Canary> WatchCanaryAsync(string @namespace, string name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var watcher = Store.Watch(CanaryType, @namespace, Selector.Everything, Selector.ParseFields($"metadata.name={name}"), resourceVersion: null);
        await foreach (var change in watcher.Events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (change.Type == "DELETED")
            {
                yield break;
            }

            if (change.Type is "ADDED" or "MODIFIED")
            {
                yield return Read(change.Object);
            }
        }
    }

    /// <summary>
    /// Waits until the Canary reaches <paramref name="phase"/> and returns it. The timeout runs on the cluster's
    /// <see cref="EmbeddedClusterOptions.TimeProvider"/>, so a test on virtual time waits virtual time.
    /// </summary>
    /// <param name="namespace">The Canary's namespace.</param>
    /// <param name="name">The Canary's name.</param>
    /// <param name="phase">The phase to wait for.</param>
    /// <param name="timeout">How long to wait, on the cluster's clock.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The Canary in that phase.</returns>
    /// <exception cref="TimeoutException">The phase was not reached in time; the message gives the last phase seen.</exception>
    public async Task<Canary> WaitForCanaryPhaseAsync(string @namespace, string name, CanaryPhase phase, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = new CancellationTokenSource(timeout, Options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        Canary? last = null;
        try
        {
            await foreach (var canary in WatchCanaryAsync(@namespace, name, linked.Token).ConfigureAwait(false))
            {
                last = canary;
                if (canary.Status?.Phase == phase)
                {
                    return canary;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Reported below with what was seen.
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!deadline.IsCancellationRequested)
        {
            throw new InvalidOperationException($"canary {name}.{@namespace} was deleted before it reached {phase}");
        }

        var seen = last is null ? "no such canary" : $"last phase {last.Status?.Phase?.ToString() ?? "none"}";
        throw new TimeoutException($"canary {name}.{@namespace} did not reach {phase} within {timeout}: {seen}");
    }

    private ResourceType CanaryType =>
        Store.Registry.FindByKind("flagger.app", "v1beta1", "Canary")
        ?? throw new InvalidOperationException("the Canary CRD is not installed in this cluster");

    private static Canary Read(JsonObject stored) => FlaggerJson.ReadCanary(stored.ToJsonString());
}
