using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Analysis.Judges;
using Flagger.Cli.Rendering;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Prometheus;
using Flagger.Providers;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Cli.Commands;

/// <summary>
/// <c>metrics test TEMPLATE --canary C</c>: renders a MetricTemplate's query for a canary as the operator would, runs it
/// against the template's provider now, and says what the canary's threshold would make of the value.
/// </summary>
internal static class MetricsCommand
{
    public static Command Build(CliConsole console)
    {
        var template = new Argument<string>("TEMPLATE") { Description = "The MetricTemplate's name" };
        var canaryOption = new Option<string>("--canary") { Description = "The canary whose variables (namespace, target, interval, ...) fill the query", Required = true };
        var output = GlobalOptions.Output();
        var test = new Command("test", "Render a MetricTemplate for a canary, run it now, and give the verdict of the canary's threshold or comparison") { template, canaryOption, output };
        test.SetAction(async (parsed, ct) =>
        {
            using var kube = GlobalOptions.Connect(parsed);
            var templateName = parsed.GetValue(template)!;
            var canaryName = parsed.GetValue(canaryOption)!;
            var canary = await kube.Client.GetCanaryAsync(kube.Namespace, canaryName, ct).ConfigureAwait(false)
                ?? throw new CommandFailedException($"canary {canaryName} not found in namespace {kube.Namespace}");
            var analysis = canary.Spec.Analysis ?? canary.Spec.CanaryAnalysis;
            var metric = analysis?.Metrics?.FirstOrDefault(m => m?.TemplateRef?.Name == templateName)
                ?? new CanaryMetric { Name = templateName, TemplateRef = new ObjectReference { Name = templateName } };
            var templateNamespace = string.IsNullOrEmpty(metric.TemplateRef?.Namespace) ? kube.Namespace : metric.TemplateRef.Namespace;
            var metricTemplate = await kube.Client.GetMetricTemplateAsync(templateNamespace, templateName, ct).ConfigureAwait(false)
                ?? throw new CommandFailedException($"Metric template {templateName}.{templateNamespace} error: not found");
            if (metricTemplate.ReadError is { } unreadable)
            {
                throw new CommandFailedException($"Metric template {templateName}.{templateNamespace} error: {unreadable}");
            }

            var rendered = MetricQueryRenderer.Render(metricTemplate.Spec.Query ?? string.Empty, MetricQueryVariables.For(canary, metric));
            if (!rendered.Succeeded)
            {
                throw new CommandFailedException($"Metric template {templateName}.{templateNamespace} query render error: {rendered.Error}");
            }

            var provider = await CreateProviderAsync(kube, metricTemplate, templateNamespace, ct).ConfigureAwait(false);
            var result = await provider.RunQueryAsync(rendered.Query!, ct).ConfigureAwait(false);
            var comparison = metric.Comparison is null
                ? null
                : await CompareAsync(canary, metric, metricTemplate.Spec.Query ?? string.Empty, provider, ct).ConfigureAwait(false);
            var (verdict, passed) = comparison is { } judged ? (judged.Verdict, judged.Passed) : Verdict(metric, result);
            var document = new JsonObject
            {
                ["template"] = $"{templateName}.{templateNamespace}",
                ["canary"] = $"{canaryName}.{kube.Namespace}",
                ["provider"] = metricTemplate.Spec.Provider.Type,
                ["query"] = rendered.Query,
                ["outcome"] = result.Outcome.ToString(),
                ["value"] = result.Outcome == MetricQueryOutcome.Value ? JsonValue.Create(result.Value) : null,
                ["error"] = result.Error,
                ["verdict"] = verdict,
            };
            if (comparison is { } compared)
            {
                document["primaryQuery"] = compared.PrimaryQuery;
                document["comparison"] = compared.Details;
            }

            switch (parsed.GetValue(output))
            {
                case "json":
                    await console.Out.WriteLineAsync(document.ToJsonString(new JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
                    break;
                case "yaml":
                    await console.Out.WriteAsync(YamlText.Write(document)).ConfigureAwait(false);
                    break;
                default:
                    var text = new StringBuilder()
                        .AppendLine(CultureInfo.InvariantCulture, $"query:   {rendered.Query}")
                        .AppendLine(CultureInfo.InvariantCulture, $"value:   {(result.Outcome == MetricQueryOutcome.Value ? result.Value.ToString(CultureInfo.InvariantCulture) : result.Outcome == MetricQueryOutcome.NoValues ? "no values" : "query failed")}{(result.Error is { Length: > 0 } e ? $" ({e})" : string.Empty)}")
                        .Append(comparison is { } shown ? $"primary: {shown.PrimaryQuery}{Environment.NewLine}samples: {shown.Samples}{Environment.NewLine}" : string.Empty)
                        .AppendLine(CultureInfo.InvariantCulture, $"verdict: {verdict}");
                    await console.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
                    break;
            }

            return passed ? CliApp.Ok : CliApp.Failed;
        });
        var metrics = new Command("metrics", "Work with MetricTemplates");
        metrics.Subcommands.Add(test);
        return metrics;
    }

    // The template's provider as the operator builds it: the same provider package, found by the template's type.
    private static async Task<IMetricsProvider> CreateProviderAsync(KubeConnection kube, MetricTemplate template, string @namespace, CancellationToken ct)
    {
        var type = template.Spec.Provider.Type ?? string.Empty;
        IReadOnlyDictionary<string, string>? credentials = null;
        if (template.Spec.Provider.SecretRef?.Name is { Length: > 0 } secretName)
        {
            try
            {
                var secret = await kube.Kubernetes.CoreV1.ReadNamespacedSecretAsync(secretName, @namespace, cancellationToken: ct).ConfigureAwait(false);
                credentials = (secret.Data ?? new Dictionary<string, byte[]>()).ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetString(kv.Value), StringComparer.Ordinal);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new CommandFailedException($"Metric template {template.Metadata.Name}.{@namespace} secret {secretName} error: not found");
            }
        }

        var services = new ServiceCollection();
        services.AddFlaggerEngine().AddPrometheus();
        var container = services.BuildServiceProvider();
        var factory = container.GetKeyedService<IMetricsProviderFactory>(type)
            ?? throw new CommandFailedException($"Metric template {template.Metadata.Name}.{@namespace} provider {type}: this tool can query prometheus only");
        return factory.Create(new MetricsProviderSettings
        {
            Type = type,
            Address = template.Spec.Provider.Address,
            Credentials = credentials,
            Headers = template.Spec.Provider.Headers,
            Region = template.Spec.Provider.Region,
            InsecureSkipVerify = template.Spec.Provider.InsecureSkipVerify,
        });
    }

    /// <summary>What a comparison would make of the data now: a verdict over the metric's samples of each side.</summary>
    private sealed record ComparisonResult(string Verdict, bool Passed, string? PrimaryQuery, string Samples, JsonObject Details);

    // Judged as the engine judges a templated comparison (Mann-Whitney over one sample per metric interval of each
    // side): since the run's first check when the status has one, else over the last ten intervals.
    private static async Task<ComparisonResult> CompareAsync(Canary canary, CanaryMetric metric, string query, IMetricsProvider provider, CancellationToken ct)
    {
        var method = metric.Comparison!.Method ?? "sequential";
        if (metric.Comparison.IsSequential())
        {
            return new ComparisonResult($"no verdict: method {method} judges per-request counts, which only the builtin request-success-rate and request-duration have; use mann-whitney for a template", true, null, "-", new JsonObject { ["method"] = method });
        }

        if (provider is not IComparisonDataProvider data)
        {
            throw new CommandFailedException($"the {provider.GetType().Name} provider cannot read a comparison");
        }

        var variables = MetricQueryVariables.For(canary, metric);
        var primaryQuery = MetricQueryRenderer.Render(query, variables with { Target = $"{variables.Target}-primary" });
        if (!primaryQuery.Succeeded)
        {
            throw new CommandFailedException($"query render error for the primary: {primaryQuery.Error}");
        }

        var interval = GoDuration.TryParse(metric.GetInterval(), out var parsed) && parsed > TimeSpan.Zero ? parsed : TimeSpan.FromMinutes(1);
        var now = TimeProvider.System.GetUtcNow();
        var since = canary.Status?.Metrics?.FirstOrDefault(m => m.Name == metric.Name)?.Since;
        var window = new ComparisonWindow(since is { } s && s < now ? s : now - (CanaryMetricStatus.HistoryLength * interval), now, interval);
        var canaryQuery = MetricQueryRenderer.Render(query, variables).Query!;
        var samples = await data.ReadSamplesAsync(canaryQuery, primaryQuery.Query!, window, ct).ConfigureAwait(false);
        if (samples.Outcome != MetricQueryOutcome.Value)
        {
            var what = samples.Outcome == MetricQueryOutcome.NoValues ? "inconclusive: a side has no values (the weight holds)" : $"fail: the read failed (a failed check): {samples.Error}";
            return new ComparisonResult(what, samples.Outcome == MetricQueryOutcome.NoValues, primaryQuery.Query, "-", new JsonObject { ["method"] = method, ["outcome"] = samples.Outcome.ToString() });
        }

        var judged = MannWhitneyJudge.Judge([.. samples.Canary!], [.. samples.Primary!], ComparisonSpec.Settings(metric));
        var described = string.Create(CultureInfo.InvariantCulture, $"{judged.Estimand} {judged.Estimate:G4} [{judged.Lower:G4}, {judged.Upper:G4}], n = {judged.CanaryCount} canary / {judged.PrimaryCount} primary");
        var verdict = judged.Outcome switch
        {
            Analysis.Judges.Verdict.Fail => $"fail: {judged.Reason} (a failed check)",
            Analysis.Judges.Verdict.Pass => $"pass: {judged.Reason}",
            _ => $"inconclusive: {judged.Reason} (the weight holds)",
        };
        var details = new JsonObject
        {
            ["method"] = method,
            ["outcome"] = judged.Outcome.ToString(),
            ["estimand"] = judged.Estimand,
            ["estimate"] = double.IsFinite(judged.Estimate) ? judged.Estimate : null,
            ["lower"] = double.IsFinite(judged.Lower) ? judged.Lower : null,
            ["upper"] = double.IsFinite(judged.Upper) ? judged.Upper : null,
            ["canaryCount"] = judged.CanaryCount,
            ["primaryCount"] = judged.PrimaryCount,
            ["windowStart"] = window.Start,
        };
        return new ComparisonResult(verdict, judged.Outcome != Analysis.Judges.Verdict.Fail, primaryQuery.Query, described, details);
    }

    // What the analysis would make of the answer: no value or a failed query is a failed check, as is a value outside the
    // metric's thresholdRange (or, with only the legacy threshold, above it).
    private static (string Verdict, bool Passed) Verdict(CanaryMetric metric, MetricQueryResult result)
    {
        if (result.Outcome == MetricQueryOutcome.NoValues)
        {
            return ("fail: no values (a failed check)", false);
        }

        if (result.Outcome == MetricQueryOutcome.Failed)
        {
            return ("fail: the query failed (a failed check)", false);
        }

        var value = result.Value;
        var text = value.ToString(CultureInfo.InvariantCulture);
        if (metric.ThresholdRange is { } range)
        {
            if (range.Min is { } min && value < min)
            {
                return ($"fail: {text} < {min.ToString(CultureInfo.InvariantCulture)} (thresholdRange.min)", false);
            }

            if (range.Max is { } max && value > max)
            {
                return ($"fail: {text} > {max.ToString(CultureInfo.InvariantCulture)} (thresholdRange.max)", false);
            }

            return ($"pass: {text} within thresholdRange [{range.Min?.ToString(CultureInfo.InvariantCulture) ?? "-inf"}, {range.Max?.ToString(CultureInfo.InvariantCulture) ?? "+inf"}]", true);
        }

        // The legacy single threshold of a templated metric is a maximum, as the engine reads it.
        if (metric.Threshold is { } threshold)
        {
            return value > threshold
                ? ($"fail: {text} > {threshold.ToString(CultureInfo.InvariantCulture)} (threshold)", false)
                : ($"pass: {text} <= {threshold.ToString(CultureInfo.InvariantCulture)} (threshold)", true);
        }

        return ($"no verdict: the canary lists no metric with templateRef {metric.TemplateRef?.Name} and a threshold", true);
    }
}
