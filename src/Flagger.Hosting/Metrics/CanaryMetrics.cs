using Flagger.Analysis;
using Flagger.Model;
using Prometheus;

namespace Flagger.Hosting.Metrics;

/// <summary>
/// Flagger's Prometheus metrics, with its names, labels and value meanings, so existing dashboards and the
/// walkthrough's <c>flagger_canary_status &gt; 1</c> alert keep working.
/// </summary>
internal sealed class CanaryMetrics
{
    private readonly Gauge info;
    private readonly Gauge total;
    private readonly Gauge status;
    private readonly Gauge weight;
    private readonly Histogram duration;
    private readonly Gauge analysis;
    private readonly Gauge verdict;
    private readonly Counter successes;
    private readonly Counter failures;
    private readonly Counter effectFailures;

    // The kinds of best-effort call a tick reports failing (TickReport.EffectFailures).
    private static readonly string[] EffectKinds = ["event", "event webhook", "alert", "post-rollout hook"];
    private readonly Dictionary<string, int> totals = new(StringComparer.Ordinal);

    // The label values each canary's series were written with, so that deleting the canary (or losing leadership)
    // removes exactly those series and no stale one is left to keep an alert firing.
    private readonly Dictionary<(string Namespace, string Name), CanarySeries> series = [];

    public CanaryMetrics(CollectorRegistry registry)
    {
        Registry = registry;
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        info = factory.CreateGauge("flagger_info", "Flagger version and mesh provider", "version", "mesh_provider");
        total = factory.CreateGauge("flagger_canary_total", "Number of canaries per namespace", "namespace");
        status = factory.CreateGauge("flagger_canary_status", "Canary status: 0 progressing, 1 other phases, 2 failed", "name", "namespace");
        weight = factory.CreateGauge("flagger_canary_weight", "Traffic weight of the primary and the canary workload", "workload", "namespace");
        duration = factory.CreateHistogram("flagger_canary_duration_seconds", "Seconds taken by one canary analysis tick", "name", "namespace");
        analysis = factory.CreateGauge("flagger_canary_metric_analysis", "Last value of each metric check (durations in seconds)", "name", "namespace", "metric");
        verdict = factory.CreateGauge("flagger_canary_metric_verdict", "Last verdict of each metric check (status.metrics): 1 pass, 0 inconclusive, -1 fail, -2 no values, -3 query failed", "name", "namespace", "metric");
        successes = factory.CreateCounter("flagger_canary_successes_total", "Canary promotions", "name", "namespace", "deployment_strategy", "analysis_status");
        failures = factory.CreateCounter("flagger_canary_failures_total", "Canary rollbacks and failed promotions", "name", "namespace", "deployment_strategy", "analysis_status");
        effectFailures = factory.CreateCounter("flagger_canary_notification_failures_total", "Best-effort calls of a tick that failed or timed out (events, event webhooks, alerts, post-rollout hooks)", "name", "namespace", "kind");
    }

    public CollectorRegistry Registry { get; }

    /// <summary>0 while progressing, 2 when failed, 1 for every other phase (Flagger's scale; alerts rely on it).</summary>
    public static int StatusValue(CanaryPhase? phase) => phase switch
    {
        CanaryPhase.Progressing => 0,
        CanaryPhase.Failed => 2,
        _ => 1,
    };

    public void SetInfo(string version, string meshProvider) => info.WithLabels(version, meshProvider).Set(1);

    /// <summary>Sets the number of canaries per namespace; a namespace whose last canary went drops to 0.</summary>
    public void SetTotals(IEnumerable<Canary> canaries)
    {
        var counts = canaries.GroupBy(c => c.Namespace, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        lock (totals)
        {
            foreach (var ns in totals.Keys)
            {
                totals[ns] = 0;
            }

            foreach (var (ns, count) in counts)
            {
                totals[ns] = count;
            }

            foreach (var (ns, count) in totals)
            {
                total.WithLabels(ns).Set(count);
            }
        }
    }

    /// <summary>Counts one more canary in <paramref name="namespace"/>: O(1), where <see cref="SetTotals"/> is O(canaries).</summary>
    public void AddToTotal(string @namespace) => ChangeTotal(@namespace, 1);

    /// <summary>Counts one canary fewer in <paramref name="namespace"/>; the last one going leaves 0, not a missing series.</summary>
    public void RemoveFromTotal(string @namespace) => ChangeTotal(@namespace, -1);

    /// <summary>Turns what a tick did into metrics.</summary>
    public void Record(TickReport report, TimeSpan elapsed)
    {
        if (report.Canary is not { } canary)
        {
            return;
        }

        var target = canary.GetTargetName();
        var ns = canary.Namespace;
        var strategy = canary.Spec.GetAnalysis().GetStrategy().ToLabel();
        lock (series)
        {
            Track(canary, target, strategy, report);
            Write(report, target, ns, strategy, elapsed);
        }
    }

    /// <summary>Removes every series of the canary <paramref name="name"/>: it was deleted.</summary>
    public void RemoveCanary(string @namespace, string name)
    {
        lock (series)
        {
            if (series.Remove((@namespace, name), out var written))
            {
                Remove(@namespace, written);
            }
        }
    }

    /// <summary>
    /// Removes every per-canary series and the per-namespace totals: a replica that does not lead exports none, so
    /// only the leader's figures are scraped.
    /// </summary>
    public void ClearCanaries()
    {
        lock (series)
        {
            foreach (var ((ns, _), written) in series)
            {
                Remove(ns, written);
            }

            series.Clear();
        }

        lock (totals)
        {
            foreach (var ns in totals.Keys)
            {
                total.RemoveLabelled(ns);
            }

            totals.Clear();
        }
    }

    private void Track(Canary canary, string target, string strategy, TickReport report)
    {
        var key = (canary.Namespace, canary.Name);
        if (series.TryGetValue(key, out var written) && written.Target != target)
        {
            // The canary now releases another target: the old target's series would never be written again.
            Remove(canary.Namespace, written);
            written = null;
        }

        if (written is null)
        {
            written = new CanarySeries(target);
            series[key] = written;
        }

        foreach (var observation in report.Metrics)
        {
            written.Metrics.Add(observation.Name);
        }

        foreach (var checkedMetric in report.StatusWritten ? canary.Status?.Metrics ?? [] : [])
        {
            written.Verdicts.Add(checkedMetric.Name ?? string.Empty);
        }

        if (report.Outcome is RunOutcome.Promoted or RunOutcome.PromotedWithoutAnalysis or RunOutcome.RolledBack or RunOutcome.PromotionFailed)
        {
            written.Strategies.Add(strategy);
        }
    }

    private void Remove(string ns, CanarySeries written)
    {
        var target = written.Target;
        status.RemoveLabelled(target, ns);
        weight.RemoveLabelled($"{target}-primary", ns);
        weight.RemoveLabelled(target, ns);
        duration.RemoveLabelled(target, ns);
        foreach (var metric in written.Metrics)
        {
            analysis.RemoveLabelled(target, ns, metric);
        }

        foreach (var metric in written.Verdicts)
        {
            verdict.RemoveLabelled(target, ns, metric);
        }

        foreach (var kind in EffectKinds)
        {
            effectFailures.RemoveLabelled(target, ns, kind);
        }

        foreach (var strategy in written.Strategies)
        {
            successes.RemoveLabelled(target, ns, strategy, "completed");
            successes.RemoveLabelled(target, ns, strategy, "skipped");
            failures.RemoveLabelled(target, ns, strategy, "completed");
        }
    }

    private void Write(TickReport report, string target, string ns, string strategy, TimeSpan elapsed)
    {
        status.WithLabels(target, ns).Set(StatusValue(report.Phase));
        if (report.Routes is { } routes)
        {
            weight.WithLabels($"{target}-primary", ns).Set(routes.PrimaryWeight);
            weight.WithLabels(target, ns).Set(routes.CanaryWeight);
        }

        foreach (var observation in report.Metrics)
        {
            analysis.WithLabels(target, ns, observation.Name).Set(observation.Value);
        }

        foreach (var checkedMetric in report.StatusWritten ? report.Canary?.Status?.Metrics ?? [] : [])
        {
            verdict.WithLabels(target, ns, checkedMetric.Name ?? string.Empty).Set(VerdictValue(checkedMetric.Verdict));
        }

        if (report.Phase is CanaryPhase.Progressing or CanaryPhase.WaitingPromotion)
        {
            duration.WithLabels(target, ns).Observe(elapsed.TotalSeconds);
        }

        foreach (var failure in report.EffectFailures)
        {
            effectFailures.WithLabels(target, ns, failure.Kind).Inc();
        }

        switch (report.Outcome)
        {
            case RunOutcome.Promoted:
                successes.WithLabels(target, ns, strategy, "completed").Inc();
                break;
            case RunOutcome.PromotedWithoutAnalysis:
                successes.WithLabels(target, ns, strategy, "skipped").Inc();
                break;
            case RunOutcome.RolledBack or RunOutcome.PromotionFailed:
                failures.WithLabels(target, ns, strategy, "completed").Inc();
                break;
        }
    }

    /// <summary>The gauge value of a metric's verdict (<c>status.metrics[].verdict</c>).</summary>
    public static int VerdictValue(string? verdict) => verdict switch
    {
        "Pass" => 1,
        "Inconclusive" => 0,
        "Fail" => -1,
        "NoValues" => -2,
        _ => -3,
    };

    private void ChangeTotal(string @namespace, int delta)
    {
        lock (totals)
        {
            var count = Math.Max(0, totals.GetValueOrDefault(@namespace) + delta);
            totals[@namespace] = count;
            total.WithLabels(@namespace).Set(count);
        }
    }

    private sealed class CanarySeries(string target)
    {
        public string Target { get; } = target;

        public HashSet<string> Metrics { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Strategies { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Verdicts { get; } = new(StringComparer.Ordinal);
    }
}
