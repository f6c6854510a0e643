using Flagger.Analysis;
using Flagger.Events;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Targets;
using Microsoft.Extensions.Options;

namespace Flagger.Finalizing;

/// <summary>
/// <c>spec.revertOnDeletion</c>: keeps a finalizer on such Canaries and, when one is deleted, gives the cluster back
/// what the canary took over before the API server removes it: the target's replicas, the apex Service's selector
/// and the mesh's routing object. Each step is an event; a step that fails keeps the finalizer, and the next tick of
/// the canary tries again. The host runs it in place of the engine's tick (<see cref="Concerns"/>), so it never
/// overlaps a tick of the same canary.
/// </summary>
public sealed class CanaryFinalizer
{
    /// <summary>Flagger's finalizer name, so a Canary Flagger marked is finalised here too.</summary>
    public const string Name = "finalizer.flagger.app";

    private readonly ProviderResolver providers;
    private readonly ICanaryStore store;
    private readonly ICanaryFinalizerStore? finalizers;
    private readonly IEventRecorder? events;
    private readonly TimeProvider time;
    private readonly EngineOptions options;

    internal CanaryFinalizer(ProviderResolver providers, ICanaryStore store, ICanaryFinalizerStore? finalizers, IEventRecorder? events, TimeProvider time, IOptions<EngineOptions> options)
    {
        this.providers = providers;
        this.store = store;
        this.finalizers = finalizers;
        this.events = events;
        this.time = time;
        this.options = options.Value;
    }

    /// <summary>
    /// Whether the canary's next tick is the finalizer's: it is being deleted and carries the finalizer, or the
    /// finalizer's presence does not match <c>spec.revertOnDeletion</c>. Reads the instance only.
    /// </summary>
    /// <param name="canary">The Canary as last read.</param>
    public static bool Concerns(Canary canary)
    {
        ArgumentNullException.ThrowIfNull(canary);
        var marked = HasFinalizer(canary);
        return canary.Metadata.DeletionTimestamp is not null ? marked : canary.Spec.RevertOnDeletion != marked;
    }

    /// <summary>
    /// Adds or removes the finalizer to match <c>spec.revertOnDeletion</c> (then returns null: the engine's tick goes
    /// on), or reverts a Canary being deleted and removes the finalizer (and returns what the tick did).
    /// </summary>
    /// <param name="canary">The Canary as last read.</param>
    /// <param name="cancellationToken">Cancels the tick.</param>
    public async Task<TickReport?> RunAsync(Canary canary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(canary);
        if (finalizers is null || !Concerns(canary))
        {
            return null;
        }

        if (canary.Metadata.DeletionTimestamp is null)
        {
            if (canary.Spec.RevertOnDeletion)
            {
                await finalizers.AddFinalizerAsync(canary, Name, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await finalizers.RemoveFinalizerAsync(canary, Name, cancellationToken).ConfigureAwait(false);
            }

            return null;
        }

        var recorded = new List<CanaryEvent>();
        var (done, current, failure) = await RevertAsync(canary, recorded, cancellationToken).ConfigureAwait(false);
        if (done)
        {
            await finalizers.RemoveFinalizerAsync(current, Name, cancellationToken).ConfigureAwait(false);

            // The Canary is gone now, and with it the schedule whose token this tick runs on: the last event gets a
            // few seconds of its own, or it would be cancelled as the deletion reaches the host.
            using var last = new CancellationTokenSource(TimeSpan.FromSeconds(10), time);
            await RecordAsync(current, recorded, EventSeverity.Info, $"Terminated canary {canary.Id}", last.Token).ConfigureAwait(false);
        }

        return new TickReport { Canary = current, Events = recorded, StatusWritten = !ReferenceEquals(current, canary), Failure = failure };
    }

    private static bool HasFinalizer(Canary canary) => canary.Metadata.Finalizers?.Contains(Name, StringComparer.Ordinal) == true;

    // Flagger's order: target back up, wait until it is ready, then the apex Service, then the mesh. True when every
    // step is done and the finalizer may go; a failure when a step's call failed (the host retries it soon, as any
    // failed tick, rather than an interval later).
    private async Task<(bool Done, Canary Current, string? Failure)> RevertAsync(Canary canary, List<CanaryEvent> recorded, CancellationToken ct)
    {
        var id = canary.Id;
        var current = canary;
        if (canary.Status?.Phase != CanaryPhase.Terminating)
        {
            var status = (canary.Status ?? new CanaryStatus()) with { Phase = CanaryPhase.Terminating, LastTransitionTime = time.GetUtcNow() };
            current = await store.UpdateStatusAsync(canary, status, ct).ConfigureAwait(false);
            await RecordAsync(current, recorded, EventSeverity.Info, $"Terminating canary {id}", ct).ConfigureAwait(false);
        }

        var provider = string.IsNullOrEmpty(canary.Spec.Provider) ? options.MeshProvider : canary.Spec.Provider;
        var kind = canary.GetTargetKind();
        var target = providers.TryResolve<ITargetController>(kind);
        var services = providers.TryResolve<IServiceRouter>(FlaggerEngineBuilder.ServiceRouterName);
        var router = providers.TryResolve<IMeshRouter>(provider);
        var scaler = canary.Spec.AutoscalerRef is { Kind.Length: > 0 } reference ? providers.TryResolve<IScalerReconciler>(reference.Kind) : null;
        var step = "target";
        try
        {
            if (target is null)
            {
                // Nothing was ever done to a target of a kind no controller handles.
                await RecordAsync(current, recorded, EventSeverity.Warning, $"Reverting {id}: no controller for target kind {kind}; target left as it is", ct).ConfigureAwait(false);
            }
            else
            {
                if (scaler is not null)
                {
                    await scaler.ResumeTargetScalerAsync(canary, ct).ConfigureAwait(false);
                }

                try
                {
                    await target.FinalizeAsync(canary, ct).ConfigureAwait(false);
                }
                catch (TargetNotFoundException)
                {
                    // The target is gone: there is nothing to scale up, and nothing for the apex Service to select.
                    await RecordAsync(current, recorded, EventSeverity.Warning, $"Reverting {id}: target {kind.ToLowerInvariant()} {canary.GetTargetName()}.{canary.Namespace} not found; nothing to restore", ct).ConfigureAwait(false);
                    return (true, current, null);
                }

                await RecordAsync(current, recorded, EventSeverity.Info, $"Reverting {id}: {kind.ToLowerInvariant()} {canary.GetTargetName()}.{canary.Namespace} scaled back up", ct).ConfigureAwait(false);
                var ready = await target.IsCanaryReadyAsync(canary, ct).ConfigureAwait(false);
                if (ready.State == ReadinessState.Wait)
                {
                    // Traffic goes back to the target only once it can serve it; the next tick looks again.
                    await RecordAsync(current, recorded, EventSeverity.Info, $"Reverting {id}: waiting for the target to be ready: {ready.Reason}", ct).ConfigureAwait(false);
                    return (false, current, null);
                }

                if (ready.State == ReadinessState.GiveUp)
                {
                    // The primary goes with the Canary either way: waiting on a target that will not become ready
                    // would only keep the Canary from being deleted.
                    await RecordAsync(current, recorded, EventSeverity.Warning, $"Reverting {id}: the target is not ready ({ready.Reason}); restoring its routes anyway", ct).ConfigureAwait(false);
                }
            }

            step = "apex Service";
            if (services is not null && target is not null)
            {
                await services.FinalizeAsync(canary, ct).ConfigureAwait(false);
                await RecordAsync(current, recorded, EventSeverity.Info, $"Reverting {id}: Service {canary.GetServiceName()}.{canary.Namespace} selects the target's pods", ct).ConfigureAwait(false);
            }

            step = $"{provider} routes";
            if (router is null)
            {
                await RecordAsync(current, recorded, EventSeverity.Warning, $"Reverting {id}: mesh provider {provider} is not registered; its objects left as they are", ct).ConfigureAwait(false);
            }
            else
            {
                await router.FinalizeAsync(canary, ct).ConfigureAwait(false);
                await RecordAsync(current, recorded, EventSeverity.Info, $"Reverting {id}: {provider} routing restored", ct).ConfigureAwait(false);
            }

            return (true, current, null);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // The finalizer stays, so the Canary stays: the next tick tries this step again.
            await RecordAsync(current, recorded, EventSeverity.Warning, $"Reverting {id} failed at the {step}: {e.Message}; retrying", ct).ConfigureAwait(false);
            return (false, current, $"Reverting {id} failed at the {step}: {e.Message}");
        }
    }

    private async Task RecordAsync(Canary canary, List<CanaryEvent> recorded, EventSeverity severity, string message, CancellationToken ct)
    {
        var canaryEvent = new CanaryEvent(severity, message);
        recorded.Add(canaryEvent);
        if (events is null)
        {
            return;
        }

        try
        {
            await events.RecordAsync(canary, canaryEvent, ct).ConfigureAwait(false);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // Events are best-effort: the revert goes on without this one.
        }
    }
}
