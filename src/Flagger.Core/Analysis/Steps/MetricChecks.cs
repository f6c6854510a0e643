using System.Globalization;
using Flagger.Analysis.Decisions;
using Flagger.Events;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Store;
using Microsoft.Extensions.Options;

namespace Flagger.Analysis.Steps;

/// <summary>Runs the analysis metrics: builtin ones against the metrics server, the rest through their templates.</summary>
internal sealed class MetricChecks(ProviderResolver providers, ICanaryStore store, IOptions<EngineOptions> options, ISecretReader? secrets = null)
{
    /// <summary>Checks every metric in order and returns the first failure (severity and event text), or null.</summary>
    public async Task<CanaryEvent?> RunAsync(TickContext tick, CancellationToken cancellationToken)
    {
        var metrics = tick.Analysis?.Metrics ?? [];
        for (var i = 0; i < metrics.Count; i++)
        {
            var metric = metrics[i];
            var failure = metric.TemplateRef is { Name.Length: > 0 }
                ? await CheckTemplateMetricAsync(tick, metric, i, cancellationToken).ConfigureAwait(false)
                : BuiltinMetrics.IsBuiltin(metric.Name)
                    ? await CheckBuiltinMetricAsync(tick, metric, cancellationToken).ConfigureAwait(false)
                    : await CheckInlineMetricAsync(tick, metric, cancellationToken).ConfigureAwait(false);
            if (failure is not null)
            {
                return failure;
            }
        }

        // Every template was found and used: a ResolvedRefs problem reported earlier is over.
        tick.Status = StatusTransitions.SetResolvedRefs(tick.Status, null, tick.Now);
        return null;
    }

    /// <summary>Asks every provider the metrics need whether it answers; null when all do.</summary>
    public async Task<string?> CheckProvidersAsync(TickContext tick, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        string? unresolved = null;
        var metrics = tick.Analysis?.Metrics ?? [];
        for (var i = 0; i < metrics.Count; i++)
        {
            var metric = metrics[i];
            try
            {
                var provider = metric.TemplateRef is { Name.Length: > 0 }
                    ? (await LoadTemplateAsync(tick, metric, cancellationToken).ConfigureAwait(false)).Provider
                    : MetricsServer(tick);
                var health = await provider.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
                if (!health.IsOnline)
                {
                    errors.Add($"{metric.Name}: {health.Error}");
                }
            }
            catch (MetricTemplateException e)
            {
                unresolved ??= TemplateProblem(i, e);
                errors.Add($"{metric.Name}: {e.Message}");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                errors.Add($"{metric.Name}: {e.Message}");
            }
        }

        tick.Status = StatusTransitions.SetResolvedRefs(tick.Status, unresolved, tick.Now);
        return errors.Count == 0 ? null : string.Join("; ", errors);
    }

    private async Task<CanaryEvent?> CheckBuiltinMetricAsync(TickContext tick, CanaryMetric metric, CancellationToken cancellationToken)
    {
        var observer = providers.Resolve<IMetricObserver>("metrics observer", tick.Provider);
        var template = metric.Name == BuiltinMetrics.RequestSuccessRate ? observer.RequestSuccessRateQuery : observer.RequestDurationQuery;
        var query = MetricQueryRenderer.Render(template, MetricQueryVariables.For(tick.Canary, metric));
        if (!query.Succeeded)
        {
            return new CanaryEvent(EventSeverity.Error, $"Metric query failed for {metric.Name}: {query.Error}");
        }

        var result = await MetricsServer(tick).RunQueryAsync(query.Query!, cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case MetricQueryOutcome.NoValues:
                var detail = string.IsNullOrEmpty(result.Error) ? string.Empty : $": {result.Error}";
                return new CanaryEvent(EventSeverity.Warning, $"Halt advancement no values found for {tick.Provider} metric {metric.Name} probably {tick.TargetId} is not receiving traffic{detail}");
            case MetricQueryOutcome.Failed:
                return new CanaryEvent(EventSeverity.Error, $"Prometheus query failed: {result.Error}");
        }

        if (metric.Name == BuiltinMetrics.RequestSuccessRate)
        {
            tick.AddMetric(new MetricObservation(metric.Name, result.Value));
            return Halt(MetricVerdicts.CheckSuccessRate(tick.Canary, metric, result.Value));
        }

        tick.AddMetric(new MetricObservation(metric.Name!, result.Value / 1000));
        return Halt(MetricVerdicts.CheckRequestDuration(tick.Canary, metric, result.Value));
    }

    private async Task<CanaryEvent?> CheckTemplateMetricAsync(TickContext tick, CanaryMetric metric, int index, CancellationToken cancellationToken)
    {
        (IMetricsProvider Provider, string Query) loaded;
        try
        {
            loaded = await LoadTemplateAsync(tick, metric, cancellationToken).ConfigureAwait(false);
        }
        catch (MetricTemplateException e)
        {
            // Flagger's event text, plus a condition that stays on the Canary, naming the metric's field.
            tick.Status = StatusTransitions.SetResolvedRefs(tick.Status, TemplateProblem(index, e), tick.Now);
            return new CanaryEvent(EventSeverity.Error, e.Message);
        }

        var result = await loaded.Provider.RunQueryAsync(loaded.Query, cancellationToken).ConfigureAwait(false);
        return Evaluate(tick, metric, result, $"Halt advancement no values found for custom metric: {metric.Name}: {result.Error}");
    }

    private async Task<CanaryEvent?> CheckInlineMetricAsync(TickContext tick, CanaryMetric metric, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(metric.Query))
        {
            return new CanaryEvent(EventSeverity.Error, "Metric query failed for no usable metrics template and query were configured");
        }

        var result = await MetricsServer(tick).RunQueryAsync(metric.Query, cancellationToken).ConfigureAwait(false);
        return Evaluate(tick, metric, result, $"Halt advancement no values found for metric: {metric.Name}");
    }

    private static CanaryEvent? Evaluate(TickContext tick, CanaryMetric metric, MetricQueryResult result, string noValues)
    {
        switch (result.Outcome)
        {
            case MetricQueryOutcome.NoValues:
                return new CanaryEvent(EventSeverity.Warning, noValues);
            case MetricQueryOutcome.Failed:
                return new CanaryEvent(EventSeverity.Error, $"Metric query failed for {metric.Name}: {result.Error}");
        }

        tick.AddMetric(new MetricObservation(metric.Name ?? string.Empty, result.Value));
        return Halt(MetricVerdicts.CheckCustom(tick.Canary, metric, result.Value));
    }

    private async Task<(IMetricsProvider Provider, string Query)> LoadTemplateAsync(TickContext tick, CanaryMetric metric, CancellationToken cancellationToken)
    {
        var ns = string.IsNullOrEmpty(metric.TemplateRef!.Namespace) ? tick.Canary.Namespace : metric.TemplateRef.Namespace;
        var name = metric.TemplateRef.Name!;
        var template = await store.GetMetricTemplateAsync(ns, name, cancellationToken).ConfigureAwait(false)
            ?? throw new MetricTemplateException($"Metric template {name}.{ns} error: not found");
        if (template.ReadError is { } unreadable)
        {
            throw new MetricTemplateException($"Metric template {name}.{ns} error: {unreadable}");
        }

        IReadOnlyDictionary<string, string>? credentials = null;
        if (template.Spec.Provider.SecretRef?.Name is { Length: > 0 } secretName)
        {
            credentials = secrets is null ? null : await secrets.GetSecretDataAsync(ns, secretName, cancellationToken).ConfigureAwait(false);
            if (credentials is null)
            {
                throw new MetricTemplateException($"Metric template {name}.{ns} secret {secretName} error: not found");
            }
        }

        var type = template.Spec.Provider.Type ?? string.Empty;
        IMetricsProviderFactory factory;
        try
        {
            factory = providers.Resolve<IMetricsProviderFactory>("metrics provider type", type);
        }
        catch (UnknownProviderException e)
        {
            throw new MetricTemplateException($"Metric template {name}.{ns} provider {type} error: {e.Message}");
        }

        var query = MetricQueryRenderer.Render(template.Spec.Query ?? string.Empty, MetricQueryVariables.For(tick.Canary, metric));
        if (!query.Succeeded)
        {
            throw new MetricTemplateException($"Metric template {name}.{ns} query render error: {query.Error}");
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
        return (provider, query.Query!);
    }

    private IMetricsProvider MetricsServer(TickContext tick)
    {
        var type = options.Value.MetricsProviderType;
        var address = string.IsNullOrEmpty(tick.Canary.Spec.MetricsServer) ? options.Value.MetricsServer : tick.Canary.Spec.MetricsServer;
        return providers.Resolve<IMetricsProviderFactory>("metrics provider type", type)
            .Create(new MetricsProviderSettings { Type = type, Address = address });
    }

    private static string TemplateProblem(int index, MetricTemplateException e) =>
        string.Create(CultureInfo.InvariantCulture, $"spec.analysis.metrics[{index}].templateRef: {e.Message}");

    private static CanaryEvent? Halt(string? message) => message is null ? null : new CanaryEvent(EventSeverity.Warning, message);

    private sealed class MetricTemplateException(string message) : Exception(message);
}
