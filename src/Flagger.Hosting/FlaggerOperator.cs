using Flagger.Analysis;
using Flagger.Events;
using Flagger.Finalizing;
using Flagger.Hosting.Metrics;
using Flagger.Hosting.Scheduling;
using Flagger.Leadership;
using Flagger.Model;
using Flagger.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Flagger.Hosting;

/// <summary>
/// The operator loop: follows the canary feed and keeps one schedule per canary while this replica leads, and
/// meanwhile checks MetricTemplates and AlertProviders as they appear or change. Losing leadership stops both at once.
/// </summary>
internal sealed partial class FlaggerOperator(
    ICanaryFeed feed,
    CanaryEngine engine,
    CanaryMetrics metrics,
    ILeaderGate leadership,
    TimeProvider time,
    IOptions<FlaggerHostOptions> options,
    IOptions<EngineOptions> engineOptions,
    ILogger<FlaggerOperator> logger,
    ReferenceMonitor? references = null,
    IEventRecorder? events = null,
    CanaryFinalizer? finalizer = null,
    ICanaryStore? canaries = null,
    TickBudgets? budgets = null) : BackgroundService
{
    private volatile OperatorState state = OperatorState.Starting;

    /// <summary>
    /// Where the operator is; <c>/readyz</c> reports it. Ready while waiting for leadership (a standby replica is
    /// healthy and serves <c>/metrics</c>) and, once leading, after every existing canary has been scheduled: a new
    /// cluster with no canaries is ready too.
    /// </summary>
    public OperatorState State => state;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.SetInfo(options.Value.Version, engineOptions.Value.MeshProvider);
        while (!stoppingToken.IsCancellationRequested)
        {
            state = OperatorState.Standby;
            var term = await leadership.AcquireAsync(stoppingToken).ConfigureAwait(false);
            state = OperatorState.Listing;
            LogLeading();
            await RunTermAsync(term, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task RunTermAsync(CancellationToken term, CancellationToken stoppingToken)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(term, stoppingToken);
        var scheduler = new CanaryScheduler(TickAsync, engine.GetInterval, time, logger, options.Value.MaxConcurrentTicks);
        scheduler.Ticked += metrics.Record;
        budgets?.Attach(scheduler);
        // Per-namespace totals move by one per canary seen or deleted: recounting every canary on each change
        // was O(N) per event, O(N²) while the first list of N canaries arrives.
        var known = new HashSet<(string Namespace, string Name)>();
        metrics.SetTotals([]);
        var referenced = RunReferencesAsync(both.Token);
        try
        {
            await foreach (var change in feed.WatchAsync(both.Token).ConfigureAwait(false))
            {
                try
                {
                    await ApplyAsync(change, scheduler, known).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !both.IsCancellationRequested)
                {
                    // One object the scheduler cannot take must not end the feed, and with it every other canary's
                    // schedule and the host: it is logged and reported on the object, and the feed goes on.
                    LogChangeFailed(change.Type, change.Namespace, change.Name, e);
                    await ReportAsync(change, e, both.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (both.IsCancellationRequested)
        {
            // Stopping, or leadership lost: the scheduler is disposed below, ending every schedule.
        }
        finally
        {
            await both.CancelAsync().ConfigureAwait(false);
            budgets?.Detach(scheduler);
            await scheduler.DisposeAsync().ConfigureAwait(false);

            // A replica that no longer leads exports no canary series: the new leader's are the truth, and a stale
            // flagger_canary_status=2 here would keep the status alert firing.
            metrics.ClearCanaries();
        }

        await referenced.ConfigureAwait(false);
    }

    private async Task ApplyAsync(CanaryChange change, CanaryScheduler scheduler, HashSet<(string Namespace, string Name)> known)
    {
        switch (change.Type)
        {
            case CanaryChangeType.Upserted when change.Canary is not null:
                scheduler.Upsert(change.Canary);
                if (change.Canary.Metadata.DeletionTimestamp is not null)
                {
                    // Deletion started: a Canary with revertOnDeletion is reverted now, not an interval later.
                    scheduler.Trigger(change.Namespace, change.Name);
                }

                if (known.Add((change.Namespace, change.Name)))
                {
                    metrics.AddToTotal(change.Namespace);
                }

                break;
            case CanaryChangeType.Deleted:
                await scheduler.RemoveAsync(change.Namespace, change.Name).ConfigureAwait(false);
                metrics.RemoveCanary(change.Namespace, change.Name);
                if (known.Remove((change.Namespace, change.Name)))
                {
                    metrics.RemoveFromTotal(change.Namespace);
                }

                break;
            case CanaryChangeType.TargetChanged:
                scheduler.Trigger(change.Namespace, change.Name);
                break;
            case CanaryChangeType.Listed:
                state = OperatorState.Leading;
                break;
        }
    }

    // The engine's tick, unless the canary's finalizer has work (revertOnDeletion): then the finalizer runs first, in
    // the same slot of the schedule, so a revert never overlaps a tick of the same canary. The common case (nothing
    // for the finalizer) reads the cached Canary once more and goes straight to the engine.
    private Task<TickReport> TickAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        if (finalizer is null || canaries is null)
        {
            return engine.TickAsync(@namespace, name, cancellationToken);
        }

        var read = canaries.GetCanaryAsync(@namespace, name, cancellationToken);
        return read.IsCompletedSuccessfully && (read.Result is null || !CanaryFinalizer.Concerns(read.Result))
            ? engine.TickAsync(@namespace, name, cancellationToken)
            : FinalizeThenTickAsync(read, @namespace, name, cancellationToken);
    }

    private async Task<TickReport> FinalizeThenTickAsync(Task<Canary?> read, string @namespace, string name, CancellationToken cancellationToken)
    {
        var canary = await read.ConfigureAwait(false);
        if (canary is not null && CanaryFinalizer.Concerns(canary))
        {
            try
            {
                if (await finalizer!.RunAsync(canary, cancellationToken).ConfigureAwait(false) is { } reverted)
                {
                    return reverted;
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && canary.Metadata.DeletionTimestamp is null)
            {
                // Adding or removing the finalizer failed (the API server): the analysis goes on; the next tick tries again.
                LogFinalizerFailed(@namespace, name, e);
            }
        }

        return await engine.TickAsync(@namespace, name, cancellationToken).ConfigureAwait(false);
    }

    private async Task ReportAsync(CanaryChange change, Exception exception, CancellationToken cancellationToken)
    {
        if (events is null || change.Canary is not { } canary)
        {
            return;
        }

        try
        {
            var message = $"Canary {canary.Id} could not be scheduled: {exception.Message}";
            await events.RecordAsync(canary, new CanaryEvent(EventSeverity.Warning, message), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Best effort: the log line above already says it.
            LogChangeFailed(change.Type, change.Namespace, change.Name, e);
        }
    }

    private async Task RunReferencesAsync(CancellationToken term)
    {
        if (references is null)
        {
            return;
        }

        try
        {
            await references.RunAsync(term).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (term.IsCancellationRequested)
        {
            // Stopping, or leadership lost.
        }
        catch (Exception e)
        {
            // The canaries go on without the reports on templates and providers; the next term starts them again.
            LogReferencesFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Acquired leadership; scheduling canaries")]
    private partial void LogLeading();

    [LoggerMessage(Level = LogLevel.Error, Message = "Change {Type} of canary {Name}.{Namespace} could not be applied; the other canaries go on")]
    private partial void LogChangeFailed(CanaryChangeType type, string @namespace, string name, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Finalizer of canary {Name}.{Namespace} could not be updated; trying again next tick")]
    private partial void LogFinalizerFailed(string @namespace, string name, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checking MetricTemplates and AlertProviders stopped")]
    private partial void LogReferencesFailed(Exception exception);
}

/// <summary>The operator's readiness states.</summary>
internal enum OperatorState
{
    /// <summary>The background service has not run yet.</summary>
    Starting,

    /// <summary>Waiting for leadership (with leader election off, only for an instant).</summary>
    Standby,

    /// <summary>Leading; the existing canaries are being listed and scheduled.</summary>
    Listing,

    /// <summary>Leading, every canary scheduled.</summary>
    Leading,
}
