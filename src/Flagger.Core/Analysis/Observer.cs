// The observe stage of a tick: Observer reads through the ports into an Observation, MetricReader runs the metric
// checks a decision asks for, ComparisonReader fetches the samples a judged metric compares. Every read is a typed
// result (value, not found, failed with a reason), never an exception the decision has to catch.

using System.Globalization;
using Flagger.Analysis.Decisions;
using Flagger.Analysis.Judges;
using Flagger.Events;
using Flagger.Metrics;
using Flagger.Model.Validation;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
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

/// <summary>
/// Reads the analysis metrics for the observe stage: builtin ones against the metrics server, the rest through their
/// templates. A provider that throws is treated as one that answered <see cref="MetricQueryOutcome.Failed"/>: a failed
/// check whose text names the metric, the template and the provider.
/// </summary>
internal sealed class MetricReader(ProviderResolver providers, ICanaryStore store, IOptions<EngineOptions> options, FailureDescriber describer, ISecretReader? secrets = null)
{
    private readonly ComparisonReader comparisons = new(describer);

    /// <summary>Checks every metric in order and stops at the first failure.</summary>
    public async Task<MetricsReading> ReadAsync(Observation o, CancellationToken cancellationToken)
    {
        var values = new List<MetricObservation>();
        var metrics = o.Analysis?.Metrics ?? [];
        var checks = new List<MetricCheck>(metrics.Count);
        for (var i = 0; i < metrics.Count; i++)
        {
            CanaryEvent? failed;
            string? unresolved = null;
            try
            {
                (failed, unresolved) = await CheckAsync(o, i, values, checks, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // A store, secret or provider factory that throws: the check fails and says which metric it was.
                failed = new CanaryEvent(EventSeverity.Error, $"Metric query failed for {metrics[i].Name}: {e.GetType().Name}: {describer.Describe(e)}");
                checks.Add(new MetricCheck(metrics[i], Failed, null, failed.Message, null));
            }

            if (failed is not null)
            {
                return new MetricsReading(failed, values, unresolved, false, checks);
            }
        }

        return new MetricsReading(null, values, null, true, checks);
    }

    // One metric: its failed check (and a template problem for the ResolvedRefs condition), or nulls when it passes.
    private async Task<(CanaryEvent? Failed, string? Unresolved)> CheckAsync(Observation o, int i, List<MetricObservation> values, List<MetricCheck> checks, CancellationToken cancellationToken)
    {
        var metric = o.Analysis!.Metrics![i];
        var (failed, unresolved) = await CheckOneAsync(o, i, metric, values, checks, cancellationToken).ConfigureAwait(false);
        if (checks.Count == 0 || !ReferenceEquals(checks[^1].Metric, metric))
        {
            // A check that ended before a value was judged: the template, the query or the provider.
            checks.Add(new MetricCheck(metric, failed is null ? Pass : Failed, null, failed?.Message, null));
        }

        return (failed, unresolved);
    }

    private async Task<(CanaryEvent? Failed, string? Unresolved)> CheckOneAsync(Observation o, int i, CanaryMetric metric, List<MetricObservation> values, List<MetricCheck> checks, CancellationToken cancellationToken)
    {
        if (metric.TemplateRef is { Name.Length: > 0 })
        {
            var loaded = await LoadTemplateAsync(o.Canary, metric, cancellationToken).ConfigureAwait(false);
            if (loaded.Problem is { } problem)
            {
                // Flagger's event text, plus a condition that stays on the Canary, naming the metric's field.
                return (new CanaryEvent(EventSeverity.Error, problem), TemplateProblem(i, problem));
            }

            if (metric.Comparison is not null)
            {
                return (await comparisons.ReadAsync(o, metric, loaded.Provider!, loaded.Template, checks, cancellationToken).ConfigureAwait(false), null);
            }

            var source = $"template {metric.TemplateRef.Name}, provider {loaded.Type}";
            var result = await QueryAsync(loaded.Provider!, loaded.Query!, cancellationToken).ConfigureAwait(false);
            return (Judge(o, metric, result, source, $"Halt advancement no values found for custom metric: {metric.Name}: {result.Error}", values, checks), null);
        }

        if (BuiltinMetrics.IsBuiltin(metric.Name))
        {
            if (metric.Comparison is not null)
            {
                var observer = providers.Resolve<IMetricObserver>("metrics observer", o.Ports.Provider);
                var template = metric.Name == BuiltinMetrics.RequestSuccessRate ? observer.RequestSuccessRateQuery : observer.RequestDurationQuery;
                return (await comparisons.ReadAsync(o, metric, MetricsServer(o.Canary), template, checks, cancellationToken).ConfigureAwait(false), null);
            }

            return (await CheckBuiltinAsync(o, metric, values, checks, cancellationToken).ConfigureAwait(false), null);
        }

        if (string.IsNullOrWhiteSpace(metric.Query))
        {
            return (new CanaryEvent(EventSeverity.Error, "Metric query failed for no usable metrics template and query were configured"), null);
        }

        if (metric.Comparison is not null)
        {
            return (await comparisons.ReadAsync(o, metric, MetricsServer(o.Canary), metric.Query, checks, cancellationToken).ConfigureAwait(false), null);
        }

        var inline = await QueryAsync(MetricsServer(o.Canary), metric.Query, cancellationToken).ConfigureAwait(false);
        return (Judge(o, metric, inline, $"provider {options.Value.MetricsProviderType}", $"Halt advancement no values found for metric: {metric.Name}", values, checks), null);
    }

    /// <summary>Asks every provider the metrics need whether it answers: which do not, and a template that cannot be used.</summary>
    public async Task<(string? Offline, string? UnresolvedTemplate)> CheckProvidersAsync(Canary canary, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        string? unresolved = null;
        var metrics = canary.Spec.GetAnalysis()?.Metrics ?? [];
        for (var i = 0; i < metrics.Count; i++)
        {
            var metric = metrics[i];
            try
            {
                IMetricsProvider provider;
                if (metric.TemplateRef is { Name.Length: > 0 })
                {
                    var loaded = await LoadTemplateAsync(canary, metric, cancellationToken).ConfigureAwait(false);
                    if (loaded.Problem is { } problem)
                    {
                        unresolved ??= TemplateProblem(i, problem);
                        errors.Add($"{metric.Name}: {problem}");
                        continue;
                    }

                    provider = loaded.Provider!;
                }
                else
                {
                    provider = MetricsServer(canary);
                }

                var health = await provider.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
                if (!health.IsOnline)
                {
                    errors.Add($"{metric.Name}: {health.Error}");
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                errors.Add($"{metric.Name}: {describer.Describe(e)}");
            }
        }

        return (errors.Count == 0 ? null : string.Join("; ", errors), unresolved);
    }

    private async Task<CanaryEvent?> CheckBuiltinAsync(Observation o, CanaryMetric metric, List<MetricObservation> values, List<MetricCheck> checks, CancellationToken cancellationToken)
    {
        var observer = providers.Resolve<IMetricObserver>("metrics observer", o.Ports.Provider);
        var template = metric.Name == BuiltinMetrics.RequestSuccessRate ? observer.RequestSuccessRateQuery : observer.RequestDurationQuery;
        var query = MetricQueryRenderer.Render(template, MetricQueryVariables.For(o.Canary, metric));
        if (!query.Succeeded)
        {
            return new CanaryEvent(EventSeverity.Error, $"Metric query failed for {metric.Name}: {query.Error}");
        }

        var result = await QueryAsync(MetricsServer(o.Canary), query.Query!, cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case MetricQueryOutcome.NoValues:
                var detail = string.IsNullOrEmpty(result.Error) ? string.Empty : $": {result.Error}";
                return Checked(checks, metric, NoValues, null, new CanaryEvent(EventSeverity.Warning, $"Halt advancement no values found for {o.Ports.Provider} metric {metric.Name} probably {o.TargetId} is not receiving traffic{detail}"));
            case MetricQueryOutcome.Failed:
                return Checked(checks, metric, Failed, null, new CanaryEvent(EventSeverity.Error, $"Prometheus query failed: {result.Error}"));
        }

        if (metric.Name == BuiltinMetrics.RequestSuccessRate)
        {
            values.Add(new MetricObservation(metric.Name, result.Value));
            return Checked(checks, metric, result.Value, Halt(MetricVerdicts.CheckSuccessRate(o.Canary, metric, result.Value)));
        }

        values.Add(new MetricObservation(metric.Name!, result.Value / 1000));
        return Checked(checks, metric, result.Value, Halt(MetricVerdicts.CheckRequestDuration(o.Canary, metric, result.Value)));
    }

    // A provider's exception becomes its answer: Failed, with what it said.
    private async Task<MetricQueryResult> QueryAsync(IMetricsProvider provider, string query, CancellationToken cancellationToken)
    {
        try
        {
            var result = await provider.RunQueryAsync(query, cancellationToken).ConfigureAwait(false);

            // NaN passes every comparison and infinities overflow durations: a value that is not a number fails closed.
            return result.Outcome == MetricQueryOutcome.Value && !double.IsFinite(result.Value)
                ? MetricQueryResult.Failed($"the query returned {result.Value.ToString(CultureInfo.InvariantCulture)}, not a finite number")
                : result;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return MetricQueryResult.Failed($"{provider.GetType().Name} threw {e.GetType().Name}: {describer.Describe(e)}");
        }
    }

    private static CanaryEvent? Judge(Observation o, CanaryMetric metric, MetricQueryResult result, string source, string noValues, List<MetricObservation> values, List<MetricCheck> checks)
    {
        switch (result.Outcome)
        {
            case MetricQueryOutcome.NoValues:
                return Checked(checks, metric, NoValues, null, new CanaryEvent(EventSeverity.Warning, noValues));
            case MetricQueryOutcome.Failed:
                return Checked(checks, metric, Failed, null, new CanaryEvent(EventSeverity.Error, $"Metric query failed for {metric.Name}: {result.Error} ({source})"));
        }

        values.Add(new MetricObservation(metric.Name ?? string.Empty, result.Value));
        return Checked(checks, metric, result.Value, Halt(MetricVerdicts.CheckCustom(o.Canary, metric, result.Value)));
    }

    /// <summary>A threshold check's verdict when the query answered nothing usable.</summary>
    internal const string NoValues = "NoValues";

    /// <summary>A threshold check's verdict when the query failed.</summary>
    internal const string Failed = "Failed";

    /// <summary>A check that passed.</summary>
    internal const string Pass = "Pass";

    /// <summary>A check whose value was out of bounds.</summary>
    internal const string Fail = "Fail";

    private static CanaryEvent Checked(List<MetricCheck> checks, CanaryMetric metric, string verdict, double? value, CanaryEvent failed)
    {
        checks.Add(new MetricCheck(metric, verdict, value, failed.Message, null));
        return failed;
    }

    private static CanaryEvent? Checked(List<MetricCheck> checks, CanaryMetric metric, double value, CanaryEvent? halt)
    {
        checks.Add(new MetricCheck(metric, halt is null ? Pass : Fail, double.IsFinite(value) ? value : null, halt?.Message, null));
        return halt;
    }

    // The template's provider and rendered query, or why the template cannot be used (the event text).
    private async Task<LoadedTemplate> LoadTemplateAsync(Canary canary, CanaryMetric metric, CancellationToken cancellationToken)
    {
        var ns = string.IsNullOrEmpty(metric.TemplateRef!.Namespace) ? canary.Namespace : metric.TemplateRef.Namespace;
        var name = metric.TemplateRef.Name!;
        var template = await store.GetMetricTemplateAsync(ns, name, cancellationToken).ConfigureAwait(false);
        if (template is null)
        {
            return LoadedTemplate.Unusable($"Metric template {name}.{ns} error: not found");
        }

        if (template.ReadError is { } unreadable)
        {
            return LoadedTemplate.Unusable($"Metric template {name}.{ns} error: {unreadable}");
        }

        IReadOnlyDictionary<string, string>? credentials = null;
        if (template.Spec.Provider.SecretRef?.Name is { Length: > 0 } secretName)
        {
            credentials = secrets is null ? null : await secrets.GetSecretDataAsync(ns, secretName, cancellationToken).ConfigureAwait(false);
            if (credentials is null)
            {
                return LoadedTemplate.Unusable($"Metric template {name}.{ns} secret {secretName} error: not found");
            }
        }

        var type = template.Spec.Provider.Type ?? string.Empty;
        if (providers.TryResolve<IMetricsProviderFactory>(type) is not { } factory)
        {
            var unknown = new UnknownProviderException("metrics provider type", type, providers.Known<IMetricsProviderFactory>());
            return LoadedTemplate.Unusable($"Metric template {name}.{ns} provider {type} error: {unknown.Message}");
        }

        var query = MetricQueryRenderer.Render(template.Spec.Query ?? string.Empty, MetricQueryVariables.For(canary, metric));
        if (!query.Succeeded)
        {
            return LoadedTemplate.Unusable($"Metric template {name}.{ns} query render error: {query.Error}");
        }

        var provider = factory.Create(new MetricsProviderSettings
        {
            Type = type,
            Address = template.Spec.Provider.Address,
            Credentials = credentials,
            Headers = template.Spec.Provider.Headers,
            Region = template.Spec.Provider.Region,
            InsecureSkipVerify = template.Spec.Provider.InsecureSkipVerify,
        });
        return new LoadedTemplate(provider, query.Query, type, null) { Template = template.Spec.Query ?? string.Empty };
    }

    internal IMetricsProvider MetricsServer(Canary canary)
    {
        var type = options.Value.MetricsProviderType;
        var address = string.IsNullOrEmpty(canary.Spec.MetricsServer) ? options.Value.MetricsServer : canary.Spec.MetricsServer;
        return providers.Resolve<IMetricsProviderFactory>("metrics provider type", type)
            .Create(new MetricsProviderSettings { Type = type, Address = address });
    }

    private static string TemplateProblem(int index, string problem) =>
        string.Create(CultureInfo.InvariantCulture, $"spec.analysis.metrics[{index}].templateRef: {problem}");

    private static CanaryEvent? Halt(string? message) => message is null ? null : new CanaryEvent(EventSeverity.Warning, message);

    private sealed record LoadedTemplate(IMetricsProvider? Provider, string? Query, string Type, string? Problem)
    {
        /// <summary>The template's query before rendering (a comparison renders it once per side).</summary>
        public string Template { get; init; } = string.Empty;

        public static LoadedTemplate Unusable(string problem) => new(null, null, string.Empty, problem);
    }
}

/// <summary>
/// Reads both sides of a metric judged against the primary, through <see cref="IComparisonDataProvider"/>: request
/// counts or duration histograms for the sequential test (the increase since the metric's previous check, which the
/// decision adds to the evidence in the status), per-interval samples for Mann-Whitney (since the run's first check).
/// Reads only; the judges run in the decision.
/// </summary>
internal sealed class ComparisonReader(FailureDescriber describer)
{
    // Samples for Mann-Whitney come one per step; a window longer than this many steps is sampled more sparsely.
    private const int MaxSamples = 120;

    /// <summary>Reads the metric's two sides and records what was read; returns the failed check when the read failed.</summary>
    public async Task<CanaryEvent?> ReadAsync(Observation o, CanaryMetric metric, IMetricsProvider provider, string queryTemplate, List<MetricCheck> checks, CancellationToken cancellationToken)
    {
        var comparison = metric.Comparison!;
        var previous = Previous(o.Status, metric.Name);
        var interval = GoDuration.TryParse(metric.GetInterval(), out var i) && i > TimeSpan.Zero ? i : TimeSpan.FromMinutes(1);
        var weight = (o.Routes?.CanaryWeight ?? 0) / 100.0;
        var sequential = comparison.IsSequential();
        var start = sequential
            ? previous?.LastCheckTime is { } last && last < o.Now && o.Now - last <= 4 * o.Interval + interval ? last : o.Now - interval
            : previous?.Since is { } since && since < o.Now ? since : o.Now - Max(interval, o.Interval);
        var step = sequential ? interval : Max(interval, (o.Now - start) / MaxSamples);
        var window = new ComparisonWindow(start, o.Now, step);
        var read = new ComparisonRead(MetricQueryOutcome.Value, null, window, weight);

        if (provider is not IComparisonDataProvider data)
        {
            return Failed(checks, metric, read, $"the metrics provider {provider.GetType().Name} cannot read a comparison (it does not implement {nameof(IComparisonDataProvider)})");
        }

        try
        {
            if (!sequential)
            {
                var variables = MetricQueryVariables.For(o.Canary, metric);
                var canaryQuery = MetricQueryRenderer.Render(queryTemplate, variables);
                var primaryQuery = MetricQueryRenderer.Render(queryTemplate, variables with { Target = $"{variables.Target}-primary" });
                if (!canaryQuery.Succeeded || !primaryQuery.Succeeded)
                {
                    return Failed(checks, metric, read, canaryQuery.Error ?? primaryQuery.Error ?? "the query could not be rendered");
                }

                var samples = await data.ReadSamplesAsync(canaryQuery.Query!, primaryQuery.Query!, window, cancellationToken).ConfigureAwait(false);
                return Record(checks, metric, read with { Samples = samples }, samples.Outcome, samples.Error);
            }

            var workloads = new WorkloadPair(o.Ports.Provider, o.Canary.Namespace, o.Canary.GetTargetName(), $"{o.Canary.GetTargetName()}-primary");
            if (metric.Name == BuiltinMetrics.RequestDuration)
            {
                var histograms = await data.ReadLatencyHistogramsAsync(workloads, window, cancellationToken).ConfigureAwait(false);
                return Record(checks, metric, read with { Histograms = histograms }, histograms.Outcome, histograms.Error);
            }

            var counts = await data.ReadRequestCountsAsync(workloads, window, cancellationToken).ConfigureAwait(false);
            return Record(checks, metric, read with { Counts = counts }, counts.Outcome, counts.Error);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed(checks, metric, read, $"{provider.GetType().Name} threw {e.GetType().Name}: {describer.Describe(e)}");
        }
    }

    /// <summary>The metric's entry in the status, or null.</summary>
    public static CanaryMetricStatus? Previous(CanaryStatus status, string? name)
    {
        if (status.Metrics is not { } metrics)
        {
            return null;
        }

        for (var i = 0; i < metrics.Count; i++)
        {
            if (metrics[i].Name == name)
            {
                return metrics[i];
            }
        }

        return null;
    }

    private static CanaryEvent? Record(List<MetricCheck> checks, CanaryMetric metric, ComparisonRead read, MetricQueryOutcome outcome, string? error)
    {
        if (outcome == MetricQueryOutcome.Failed)
        {
            return Failed(checks, metric, read, error ?? "the comparison read failed");
        }

        checks.Add(new MetricCheck(metric, null, null, null, read with { Outcome = outcome, Error = error }));
        return null;
    }

    private static CanaryEvent Failed(List<MetricCheck> checks, CanaryMetric metric, ComparisonRead read, string error)
    {
        var failed = new CanaryEvent(EventSeverity.Error, $"Metric query failed for {metric.Name}: {error}");
        checks.Add(new MetricCheck(metric, MetricReader.Failed, null, failed.Message, read with { Outcome = MetricQueryOutcome.Failed, Error = error }));
        return failed;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
