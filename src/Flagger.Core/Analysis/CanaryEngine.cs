using System.Runtime.CompilerServices;
using Flagger.Analysis.Decisions;
using Flagger.Analysis.Steps;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Model.Validation;
using Flagger.Notifications;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Targets;
using Microsoft.Extensions.Options;

namespace Flagger.Analysis;

/// <summary>
/// Advances one canary by one tick. Reads the Canary, passes it through Flagger's gates in order, acts through the
/// ports, writes the status at most once, and reports what it did. Ticks of one canary must not overlap; ticks
/// of different canaries may run concurrently.
/// </summary>
/// <remarks>
/// The gates, in order: validity, suspension, initialisation (primary, Services, mesh), new-revision detection,
/// primary readiness, routes, start of a run (confirm-rollout), restart on a newer revision, canary readiness,
/// skip-analysis, rollback hooks, promotion traffic shift, finalising, failed-checks threshold, the analysis
/// (hooks and metrics), and the traffic step of the strategy.
/// </remarks>
public sealed class CanaryEngine
{
    private readonly ProviderResolver providers;
    private readonly ICanaryStore store;
    private readonly CanaryEffects effects;
    private readonly MetricChecks metrics;
    private readonly TimeProvider time;
    private readonly EngineOptions options;
    private readonly RollbackStep rollback;
    private readonly RevisionStep revision;
    private readonly AnalysisStep analysis;
    private readonly AdvanceStep advance;
    private readonly PromotionStep promotion;
    private readonly Lazy<ValidationOptions> validation;
    private readonly ConditionalWeakTable<Canary, CanaryMemo> memos = [];
    private readonly ConditionalWeakTable<Canary, CanaryMemo>.CreateValueCallback remember;
    private static readonly TickReport NoCanary = new();

    internal CanaryEngine(ProviderResolver providers, ICanaryStore store, CanaryEffects effects, MetricChecks metrics, TimeProvider time, IOptions<EngineOptions> options)
    {
        this.providers = providers;
        this.store = store;
        this.effects = effects;
        this.metrics = metrics;
        this.time = time;
        this.options = options.Value;
        rollback = new RollbackStep(effects);
        revision = new RevisionStep(effects, rollback);
        analysis = new AnalysisStep(effects, metrics, rollback);
        advance = new AdvanceStep(effects);
        promotion = new PromotionStep(effects);
        validation = new(() => new ValidationOptions
        {
            NoCrossNamespaceRefs = this.options.NoCrossNamespaceRefs,
            MeshProvider = this.options.MeshProvider,
            KnownMeshProviders = providers.Known<IMeshRouter>(),
            TargetKinds = providers.Known<ITargetController>(),
        });
        remember = c => new CanaryMemo(CanaryValidator.Validate(c, validation.Value), c);
    }

    /// <summary>Runs one tick of the canary <paramref name="name"/> in <paramref name="namespace"/>.</summary>
    public Task<TickReport> TickAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var run = RunTickAsync(@namespace, name, cancellationToken);
        if (!run.IsCompletedSuccessfully)
        {
            return run.AsTask();
        }

        // An idle tick that finished synchronously hands out the canary's one cached report task.
        var report = run.Result;
        return report.Canary is { } canary && memos.TryGetValue(canary, out var memo) && ReferenceEquals(memo.IdleReport, report)
            ? memo.IdleTask
            : Task.FromResult(report);
    }

    private async ValueTask<TickReport> RunTickAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var canary = await store.GetCanaryAsync(@namespace, name, cancellationToken).ConfigureAwait(false);
        if (canary is null)
        {
            return NoCanary;
        }

        var tick = TickContext.Rent(canary, time.GetUtcNow());
        try
        {
            try
            {
                await RunGatesAsync(tick, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A provider call failed. Nothing of the tick is written: every step is idempotent and is retried next
                // tick. A missing target is also said on the status, where `kubectl get canaries` and `kubectl wait`
                // see it; it clears once the target exists.
                await effects.WarnAsync(tick, e.Message, cancellationToken).ConfigureAwait(false);
                var status = e is TargetNotFoundException
                    ? StatusTransitions.SetTargetMissing(tick.Original, $"{e.Message}: create it, or name an existing workload in spec.targetRef", tick.Now)
                    : tick.Original;
                return ReferenceEquals(status, tick.Original)
                    ? Report(tick, canary, written: false)
                    : Report(tick, await store.UpdateStatusAsync(canary, status, cancellationToken).ConfigureAwait(false), written: true);
            }

            if (tick.Status.Equals(tick.Original))
            {
                return Report(tick, canary, written: false);
            }

            var stored = await store.UpdateStatusAsync(canary, tick.Status, cancellationToken).ConfigureAwait(false);
            return Report(tick, stored, written: true);
        }
        finally
        {
            tick.Return();
        }
    }

    /// <summary>How often the canary ticks: its analysis interval, floored at the engine's minimum.</summary>
    public TimeSpan GetInterval(Canary canary)
    {
        ArgumentNullException.ThrowIfNull(canary);
        return canary.Spec.GetAnalysis().GetInterval(options.MinimumInterval);
    }

    private async Task RunGatesAsync(TickContext tick, CancellationToken ct)
    {
        if (!await IsRunnableAsync(tick, ct).ConfigureAwait(false) || !await InitializeAsync(tick, ct).ConfigureAwait(false))
        {
            return;
        }

        if (tick.Phase is CanaryPhase.Initialized or CanaryPhase.Succeeded or CanaryPhase.Failed
            && !RevisionDecisions.IsNewRevision(tick.Status, await tick.GetRevisionAsync(ct).ConfigureAwait(false)))
        {
            return;
        }

        var skip = tick.Canary.Spec.SkipAnalysis;
        if (!skip && await tick.Target.IsPrimaryReadyAsync(tick.Current, ct).ConfigureAwait(false) is { IsReady: false } primary)
        {
            await effects.WarnAsync(tick, primary.Reason!, ct).ConfigureAwait(false);
            if (primary.State == ReadinessState.GiveUp)
            {
                await (tick.Phase is CanaryPhase.Promoting or CanaryPhase.Finalising
                    ? rollback.FailPromotionAsync(tick, primary.Reason!, ct)
                    : rollback.RollBackPastDeadlineAsync(tick, primary.Reason!, ct)).ConfigureAwait(false);
            }

            return;
        }

        var routes = await tick.Router.GetRoutesAsync(tick.Current, ct).ConfigureAwait(false);
        tick.Routes = routes;
        if (tick.Phase is not (CanaryPhase.Progressing or CanaryPhase.WaitingPromotion or CanaryPhase.Promoting or CanaryPhase.Finalising))
        {
            await revision.StartAsync(tick, ct).ConfigureAwait(false);
            return;
        }

        var analysing = tick.Phase is CanaryPhase.Progressing or CanaryPhase.WaitingPromotion;
        if (analysing && await revision.RestartIfChangedAsync(tick, ct).ConfigureAwait(false))
        {
            return;
        }

        if (await tick.Target.IsCanaryReadyAsync(tick.Current, ct).ConfigureAwait(false) is { IsReady: false } canary)
        {
            await effects.WarnAsync(tick, canary.Reason!, ct).ConfigureAwait(false);
            if (canary.State == ReadinessState.GiveUp)
            {
                await rollback.RollBackPastDeadlineAsync(tick, canary.Reason!, ct).ConfigureAwait(false);
            }

            return;
        }

        await AdvanceReadyCanaryAsync(tick, routes, analysing, ct).ConfigureAwait(false);
    }

    private async Task AdvanceReadyCanaryAsync(TickContext tick, TrafficRoutes routes, bool analysing, CancellationToken ct)
    {
        if (tick.Canary.Spec.SkipAnalysis)
        {
            await promotion.SkipAnalysisAsync(tick, ct).ConfigureAwait(false);
        }
        else if (analysing && await revision.RollbackRequestedAsync(tick, ct).ConfigureAwait(false))
        {
            await rollback.RollBackAsync(tick, ct).ConfigureAwait(false);
        }
        else if (tick.Phase == CanaryPhase.Promoting)
        {
            if (IsStepDue(tick))
            {
                await promotion.ShiftTrafficAsync(tick, routes, ct).ConfigureAwait(false);
            }
        }
        else if (tick.Phase == CanaryPhase.Finalising)
        {
            await promotion.FinaliseAsync(tick, ct).ConfigureAwait(false);
        }
        else if (tick.Status.FailedChecks >= tick.Analysis.GetThreshold())
        {
            await rollback.RollBackAsync(tick, ct).ConfigureAwait(false);
        }
        else if (tick.Phase == CanaryPhase.Progressing && tick.Provider != "kubernetes"
            && TrafficDecisions.IsUnrecordedStep(tick.Status, routes, tick.Analysis.GetStrategy()))
        {
            // Record the step the router already serves; the next one comes an interval from now.
            tick.Status = StatusTransitions.SetWeight(tick.Status, routes.CanaryWeight, tick.Now);
        }
        else if (IsStepDue(tick) && await analysis.CheckAsync(tick, routes, ct).ConfigureAwait(false))
        {
            await advance.AdvanceAsync(tick, routes, ct).ConfigureAwait(false);
        }
    }

    private bool IsStepDue(TickContext tick) => TrafficDecisions.IsStepDue(tick.Status, GetInterval(tick.Canary), tick.Now);

    // A spec the engine cannot run is reported on the status and in an event, once per distinct problem.
    private async Task<bool> IsRunnableAsync(TickContext tick, CancellationToken ct)
    {
        // Canaries are immutable records and watch caches hand out the same instance until the object changes,
        // so an idle canary is validated once, not on every tick.
        var problems = memos.GetValue(tick.Canary, remember).Problems;
        var problem = problems.Count > 0 ? $"invalid canary spec: {string.Join("; ", problems)}" : ResolveProviders(tick);
        var before = tick.Status;
        tick.Status = StatusTransitions.SetValidity(tick.Status, problem, tick.Now);
        if (problem is not null)
        {
            if (!ReferenceEquals(before, tick.Status))
            {
                await effects.WarnAsync(tick, problem, ct).ConfigureAwait(false);
            }

            return false;
        }

        if (tick.Canary.Spec.Suspend)
        {
            await effects.InfoAsync(tick, "skipping canary run as object is suspended", ct).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    private string? ResolveProviders(TickContext tick)
    {
        var spec = tick.Canary.Spec;
        tick.Provider = string.IsNullOrEmpty(spec.Provider) ? options.MeshProvider : spec.Provider;
        try
        {
            tick.Router = providers.Resolve<IMeshRouter>("mesh provider", tick.Provider);
            tick.Target = providers.Resolve<ITargetController>("target kind", tick.Kind);
            tick.Services = providers.Resolve<IServiceRouter>("service router", FlaggerEngineBuilder.ServiceRouterName);
            tick.Scaler = spec.AutoscalerRef is { Kind.Length: > 0 } scaler
                ? providers.Resolve<IScalerReconciler>("autoscaler kind", scaler.Kind)
                : null;
            if (UsesBuiltinMetrics(tick.Analysis))
            {
                providers.Resolve<IMetricObserver>("metrics observer for builtin metrics", tick.Provider);
            }

            return null;
        }
        catch (UnknownProviderException e)
        {
            return $"invalid canary spec: {e.Message}";
        }
    }

    // Creates what the canary needs (primary, Services, mesh objects) and, for a new canary, hands it traffic.
    private async Task<bool> InitializeAsync(TickContext tick, CancellationToken ct)
    {
        var skip = tick.Canary.Spec.SkipAnalysis;
        if (tick.Phase is null)
        {
            tick.SetPhase(CanaryPhase.Initializing);
        }

        await tick.Services.InitializeAsync(tick.Current, ct).ConfigureAwait(false);
        if (!skip && tick.IsInitializing)
        {
            var offline = await metrics.CheckProvidersAsync(tick, ct).ConfigureAwait(false);
            await (offline is null
                ? effects.InfoAsync(tick, "all the metrics providers are available!", ct)
                : effects.ErrorAsync(tick, $"Error checking metric providers: {offline}", ct)).ConfigureAwait(false);
        }

        // App Mesh must exist before the primary's pods start, so that they get the sidecar.
        var meshFirst = tick.Provider.StartsWith("appmesh", StringComparison.Ordinal);
        if (meshFirst)
        {
            await tick.Router.ReconcileAsync(tick.Current, ct).ConfigureAwait(false);
        }

        var primary = await tick.Target.InitializeAsync(tick.Current, tick.IsInitializing && !skip, ct).ConfigureAwait(false);
        tick.Status = StatusTransitions.SetTargetMissing(tick.Status, null, tick.Now);
        if (!primary.IsReady)
        {
            // Before the first promotion there is nothing to roll back to: keep waiting and keep saying why.
            await effects.WarnAsync(tick, primary.Reason!, ct).ConfigureAwait(false);
            return false;
        }

        if (tick.Scaler is not null)
        {
            await tick.Scaler.ReconcilePrimaryScalerAsync(tick.Current, true, ct).ConfigureAwait(false);
            if (tick.IsInitializing)
            {
                await tick.Scaler.PauseTargetScalerAsync(tick.Current, ct).ConfigureAwait(false);
            }
        }

        await tick.Services.ReconcileAsync(tick.Current, ct).ConfigureAwait(false);
        if (tick.IsInitializing)
        {
            await tick.Target.ScaleToZeroAsync(tick.Current, ct).ConfigureAwait(false);
        }

        if (!meshFirst)
        {
            await tick.Router.ReconcileAsync(tick.Current, ct).ConfigureAwait(false);
        }

        if (!tick.IsInitializing)
        {
            return true;
        }

        tick.Sync(CanaryPhase.Initialized, await tick.GetRevisionAsync(ct).ConfigureAwait(false));
        await effects.InfoAsync(tick, $"Initialization done! {tick.Canary.Id}", ct).ConfigureAwait(false);
        await effects.AlertAsync(tick, $"New {tick.Kind} detected, initialization completed.", AlertSeverity.Info, true, ct).ConfigureAwait(false);
        return false;
    }

    private static bool UsesBuiltinMetrics(CanaryAnalysis? analysis)
    {
        // A loop, not Any(): this runs on every tick, and Any over the interface allocates an enumerator.
        if (analysis?.Metrics is not { } metrics)
        {
            return false;
        }

        for (var i = 0; i < metrics.Count; i++)
        {
            if (BuiltinMetrics.IsBuiltin(metrics[i].Name) && metrics[i].TemplateRef is null)
            {
                return true;
            }
        }

        return false;
    }

    private TickReport Report(TickContext tick, Canary canary, bool written)
    {
        if (!written && !tick.HasNews && ReferenceEquals(canary.Status, tick.Original) && memos.TryGetValue(canary, out var memo))
        {
            return memo.IdleReport; // the steady state: nothing happened, nothing to allocate
        }

        return new()
        {
            Canary = written || ReferenceEquals(canary.Status, tick.Original) ? canary : canary with { Status = tick.Original },
            Events = tick.Events,
            Routes = tick.Routes,
            Metrics = tick.Metrics,
            Outcome = written ? tick.Outcome : RunOutcome.None,
            StatusWritten = written,
        };
    }

    /// <summary>
    /// What the engine keeps per canary instance (watch caches hand out the same instance until the object
    /// changes): the validation verdict, and the report of a tick that did nothing, with its completed task.
    /// </summary>
    private sealed class CanaryMemo(IReadOnlyList<ValidationProblem> problems, Canary canary)
    {
        public IReadOnlyList<ValidationProblem> Problems { get; } = problems;

        public TickReport IdleReport { get; } = new() { Canary = canary };

        public Task<TickReport> IdleTask => field ??= Task.FromResult(IdleReport);
    }
}
