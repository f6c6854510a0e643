using System.Globalization;
using Flagger.Analysis.Decisions;
using Flagger.Events;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Store;
using Microsoft.Extensions.Options;

namespace Flagger.Analysis;

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
