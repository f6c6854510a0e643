using Flagger.Model;
using Flagger.Model.Validation;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Targets;
using Flagger.Webhooks;
using Microsoft.Extensions.Options;

namespace Flagger.Analysis;

/// <summary>
/// The observe stage: reads what a decision needs through the ports. Every port call is guarded: what it throws
/// becomes <see cref="Observation.Failure"/> (or a closed gate, or a failed metric check), never an exception out of
/// the tick. Only the tick's own cancellation (shutdown, leadership lost) ends a tick early.
/// </summary>
/// <remarks>
/// Initialisation is observed by reconciling: the primary, the Services and the mesh objects are created or
/// corrected (idempotent writes that never move traffic), and what that found (is the primary ready?) goes into the
/// observation, as a controller reconciles the objects it owns before it decides.
/// </remarks>
internal sealed class Observer(ProviderResolver providers, MetricReader metrics, IWebhookClient webhooks, FailureDescriber describer)
{
    private static readonly CanaryStatus NoStatus = new();

    /// <summary>
    /// The providers a canary's spec names, or why it cannot run (validation problems or an unknown provider). Pure in
    /// the canary instance: the engine keeps the answer as long as the watch cache hands out the same instance.
    /// </summary>
    public (TickPorts Ports, string? Invalid) Resolve(Canary canary, IReadOnlyList<ValidationProblem> problems, string meshProvider)
    {
        if (problems.Count > 0)
        {
            return (default, $"invalid canary spec: {string.Join("; ", problems)}");
        }

        var spec = canary.Spec;
        var provider = string.IsNullOrEmpty(spec.Provider) ? meshProvider : spec.Provider;
        try
        {
            if (UsesBuiltinMetrics(spec.GetAnalysis()))
            {
                providers.Resolve<Metrics.IMetricObserver>("metrics observer for builtin metrics", provider);
            }

            return (new TickPorts(
                provider,
                providers.Resolve<IMeshRouter>("mesh provider", provider),
                providers.TryResolve<RouterCapabilities>(provider) ?? RouterCapabilities.Full,
                providers.Resolve<ITargetController>("target kind", canary.GetTargetKind()),
                providers.Resolve<IServiceRouter>("service router", FlaggerEngineBuilder.ServiceRouterName),
                spec.AutoscalerRef is { Kind.Length: > 0 } scaler ? providers.Resolve<IScalerReconciler>("autoscaler kind", scaler.Kind) : null), null);
        }
        catch (UnknownProviderException e)
        {
            return (default, $"invalid canary spec: {e.Message}");
        }
    }

    /// <summary>The first observation: validity, the providers (from <see cref="Resolve"/>), and initialisation.</summary>
    public ValueTask<Observation> BeginAsync(Canary canary, DateTimeOffset now, TimeSpan interval, TickPorts ports, string? invalid, CancellationToken ct)
    {
        var o = new Observation { Canary = canary, Now = now, Status = canary.Status ?? NoStatus, Interval = interval, Ports = ports, Invalid = invalid };
        return invalid is not null || canary.Spec.Suspend ? new(o) : InitializeAsync(o, ct);
    }

    /// <summary>One more read, as the decision asked.</summary>
    public ValueTask<Observation> ObserveAsync(Observation o, Need need, CancellationToken ct)
    {
        // The steady state: watch-fed caches answer at once, and a completed read needs no state machine.
        switch (need.Kind)
        {
            case NeedKind.Revision when Completed(o.Ports.Target.GetRevisionAsync(o.Canary, ct)) is { } revision:
                return new(o with { Revision = revision });
            case NeedKind.Routes when Completed(o.Ports.Router.GetRoutesAsync(o.Canary, ct)) is { } routes && IsSplit(routes):
                return new(o with { Routes = routes });
        }

        return ObserveSlowlyAsync(o, need, ct);
    }

    // The task's result when it has completed successfully, else null (the slow path then awaits the call afresh).
    private static T? Completed<T>(Task<T> task)
        where T : class => task.IsCompletedSuccessfully ? task.Result : null;

    private static TrafficRoutes? Completed(Task<TrafficRoutes> task) => task.IsCompletedSuccessfully ? task.Result : null;

    private async ValueTask<Observation> ObserveSlowlyAsync(Observation o, Need need, CancellationToken ct)
    {
        var ports = o.Ports;
        try
        {
            return need.Kind switch
            {
                NeedKind.Revision => o with { Revision = await ports.Target.GetRevisionAsync(o.Canary, ct).ConfigureAwait(false) },
                NeedKind.PrimaryReadiness => o with { PrimaryReadiness = await ports.Target.IsPrimaryReadyAsync(o.Canary, ct).ConfigureAwait(false) },
                NeedKind.CanaryReadiness => o with { CanaryReadiness = await ports.Target.IsCanaryReadyAsync(o.Canary, ct).ConfigureAwait(false) },
                NeedKind.Routes => o with { Routes = Checked(await ports.Router.GetRoutesAsync(o.Canary, ct).ConfigureAwait(false)) },
                NeedKind.RollbackHooks => o with { RollbackHooks = await CallAllAsync(o, WebhookTypes.Rollback, ct).ConfigureAwait(false) },
                NeedKind.Gate => o with { Gates = o.Gates.With(need.GateType!, await RunGateAsync(o, need.GateType!, ct).ConfigureAwait(false)) },
                NeedKind.Metrics => o with { Metrics = await metrics.ReadAsync(o, ct).ConfigureAwait(false) },
                _ => throw new ArgumentOutOfRangeException(nameof(need), need.Kind, "nothing to observe"),
            };
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return o with { Failure = Fail(CallName(o, need), e) };
        }
    }

    // A split that is not one (weights outside 0-100, or not adding up to 100) is a failed read, not a weight to act
    // on: a corrupt object would otherwise be recorded as a step, or taken for max weight and promoted.
    private static TrafficRoutes Checked(TrafficRoutes routes) =>
        IsSplit(routes)
            ? routes
            : throw new InvalidDataException($"the router reported primary weight {routes.PrimaryWeight} and canary weight {routes.CanaryWeight}, which is not a split of 100");

    private static bool IsSplit(TrafficRoutes routes) =>
        routes.PrimaryWeight is >= 0 and <= 100 && routes.CanaryWeight is >= 0 and <= 100 && routes.PrimaryWeight + routes.CanaryWeight == 100;

    /// <summary>Calls every hook of a type and returns each result; a hook that throws has failed.</summary>
    public async Task<IReadOnlyList<HookCall>> CallAllAsync(Observation o, string type, CancellationToken ct)
    {
        var calls = new List<HookCall>();
        foreach (var hook in o.Analysis?.Webhooks ?? [])
        {
            if (WebhookTypes.Of(hook) == type)
            {
                calls.Add(new HookCall(hook, await CallAsync(hook, Payload(o.Canary, o.Status, hook.Metadata), ct).ConfigureAwait(false)));
            }
        }

        return calls;
    }

    /// <summary>Calls a webhook; what it throws is its failure.</summary>
    public async Task<WebhookResult> CallAsync(CanaryWebhook hook, WebhookPayload payload, CancellationToken ct)
    {
        try
        {
            return await webhooks.CallAsync(hook, payload, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return WebhookResult.Failure(describer.Describe(e));
        }
    }

    /// <summary>The payload Flagger posts to a hook.</summary>
    public static WebhookPayload Payload(Canary canary, CanaryStatus status, IReadOnlyDictionary<string, string>? metadata) => new()
    {
        Name = canary.Name,
        Namespace = canary.Namespace,
        Phase = status.Phase?.ToString() ?? string.Empty,
        Checksum = SpecHash.ComputeChecksum(status),
        Metadata = metadata,
    };

    /// <summary>Names a failed call and says what it reported.</summary>
    public PortFailure Fail(string call, Exception e) => new(
        call,
        describer.Describe(e),
        e,
        Internal: e is NullReferenceException or ArgumentException or InvalidCastException or IndexOutOfRangeException
            or KeyNotFoundException or NotImplementedException or FormatException or OverflowException or DivideByZeroException,
        TargetMissing: e is TargetNotFoundException);

    // The gate's hooks in order; the first that fails closes it.
    private async Task<GateResult> RunGateAsync(Observation o, string type, CancellationToken ct)
    {
        foreach (var hook in o.Analysis?.Webhooks ?? [])
        {
            if (WebhookTypes.Of(hook) != type)
            {
                continue;
            }

            var result = await CallAsync(hook, Payload(o.Canary, o.Status, hook.Metadata), ct).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                return new GateResult(hook, result.Error ?? string.Empty);
            }
        }

        return GateResult.Open;
    }

    // Creates what the canary needs (primary, Services, mesh objects), in Flagger's order, and says whether the
    // primary serves; for a new canary the target is scaled to zero once the primary runs its copy.
    private async ValueTask<Observation> InitializeAsync(Observation o, CancellationToken ct)
    {
        var (_, router, capabilities, target, services, scaler) = o.Ports;
        var canary = o.Canary;
        var initializing = o.Status.Phase is null or CanaryPhase.Initializing;
        var skip = canary.Spec.SkipAnalysis;
        var stage = InitStage.Services;
        try
        {
            await services.InitializeAsync(canary, ct).ConfigureAwait(false);
            var init = default(Initialization);
            if (initializing && !skip)
            {
                stage = InitStage.MetricsProviders;
                var (offline, unresolved) = await metrics.CheckProvidersAsync(canary, ct).ConfigureAwait(false);
                init = new Initialization(null, true, offline, unresolved);
            }

            if (capabilities.ReconcilesBeforePrimary)
            {
                stage = InitStage.Routes;
                await router.ReconcileAsync(canary, ct).ConfigureAwait(false);
            }

            stage = InitStage.Primary;
            var primary = await target.InitializeAsync(canary, initializing && !skip, ct).ConfigureAwait(false);
            if (!primary.IsReady)
            {
                return o with { Initialization = init with { Primary = primary } };
            }

            if (scaler is not null)
            {
                stage = InitStage.Autoscaler;
                await scaler.ReconcilePrimaryScalerAsync(canary, true, ct).ConfigureAwait(false);
                if (initializing)
                {
                    await scaler.PauseTargetScalerAsync(canary, ct).ConfigureAwait(false);
                }
            }

            stage = InitStage.ApexService;
            await services.ReconcileAsync(canary, ct).ConfigureAwait(false);
            if (initializing)
            {
                stage = InitStage.ScaleDown;
                await target.ScaleToZeroAsync(canary, ct).ConfigureAwait(false);
            }

            if (!capabilities.ReconcilesBeforePrimary)
            {
                stage = InitStage.Routes;
                await router.ReconcileAsync(canary, ct).ConfigureAwait(false);
            }

            return o with { Initialization = init with { Primary = primary } };
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return o with { Failure = Fail(StageName(o, stage), e) };
        }
    }

    private static string StageName(in Observation o, InitStage stage) => stage switch
    {
        InitStage.Services => "initialising the -primary and -canary Services",
        InitStage.MetricsProviders => "checking the metrics providers",
        InitStage.Routes => $"reconciling the {o.Ports.Provider} routes",
        InitStage.Primary => $"initialising the primary {o.Kind}",
        InitStage.Autoscaler => "reconciling the primary's autoscaler",
        InitStage.ApexService => "reconciling the apex Service",
        _ => $"scaling the {o.Kind} to zero",
    };

    private static string CallName(in Observation o, Need need) => need.Kind switch
    {
        NeedKind.Revision => $"reading the {o.Kind}'s revision",
        NeedKind.PrimaryReadiness => $"checking the primary {o.Kind}'s readiness",
        NeedKind.CanaryReadiness => $"checking the {o.Kind}'s readiness",
        NeedKind.Routes => $"reading the {o.Ports.Provider} routes",
        NeedKind.Metrics => "reading the metrics",
        _ => $"calling the {need.GateType ?? need.Kind.ToString()} hooks",
    };

    private static bool UsesBuiltinMetrics(CanaryAnalysis? analysis)
    {
        // A loop, not Any(): this runs on every tick, and Any over the interface allocates an enumerator.
        if (analysis?.Metrics is not { } metrics)
        {
            return false;
        }

        for (var i = 0; i < metrics.Count; i++)
        {
            if (Metrics.BuiltinMetrics.IsBuiltin(metrics[i].Name) && metrics[i].TemplateRef is null)
            {
                return true;
            }
        }

        return false;
    }

    private enum InitStage
    {
        Services,
        MetricsProviders,
        Routes,
        Primary,
        Autoscaler,
        ApexService,
        ScaleDown,
    }
}
