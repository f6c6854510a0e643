using System.Globalization;
using Flagger.Model;
using k8s.Models;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Flagger.Cli.Rendering;

/// <summary>Canaries as tables: the list (<c>get canaries</c>) and one canary with its timeline (<c>get canary</c>).</summary>
internal static class CanaryView
{
    private const int BarWidth = 20;

    public static Table List(IReadOnlyList<Canary> canaries, bool allNamespaces, DateTimeOffset now)
    {
        var table = new Table().Border(TableBorder.Simple);
        if (allNamespaces)
        {
            table.AddColumn("NAMESPACE");
        }

        foreach (var column in new[] { "NAME", "PHASE", "WEIGHT", "PROGRESS", "STEP", "FAILED", "ITERATIONS", "METRICS", "IN PHASE", "REVISION" })
        {
            table.AddColumn(column);
        }

        foreach (var canary in canaries)
        {
            var row = new List<IRenderable>();
            if (allNamespaces)
            {
                row.Add(new Text(canary.Namespace));
            }

            var status = canary.Status;
            var analysis = Analysis(canary);
            row.Add(new Text(canary.Name));
            row.Add(new Markup(PhaseMarkup(status?.Phase)));
            row.Add(new Text($"{status?.CanaryWeight ?? 0}/{MaxWeight(analysis)}"));
            row.Add(new Text(Bar(canary)));
            row.Add(new Text(Step(canary)));
            row.Add(new Text($"{status?.FailedChecks ?? 0}/{analysis?.Threshold ?? 0}"));
            row.Add(new Text(analysis?.Iterations > 0 ? $"{status?.Iterations ?? 0}/{analysis.Iterations}" : "-"));
            row.Add(new Markup(MetricsSummary(status)));
            row.Add(new Text(Age(status?.LastTransitionTime, now)));
            row.Add(new Text(Short(status?.LastAppliedSpec)));
            table.AddRow(row);
        }

        if (canaries.Count == 0)
        {
            table.Caption("no canaries");
        }

        return table;
    }

    public static IRenderable Detail(Canary canary, IReadOnlyList<Corev1Event> events, DateTimeOffset now)
    {
        var status = canary.Status;
        var analysis = Analysis(canary);
        var summary = new Grid().AddColumn().AddColumn();
        void Line(string label, string value) => summary.AddRow(new Text(label), new Markup(value));
        Line("Canary", Markup.Escape($"{canary.Namespace}/{canary.Name}"));
        Line("Target", Markup.Escape($"{canary.Spec.TargetRef?.Kind ?? "Deployment"}/{canary.Spec.TargetRef?.Name}"));
        Line("Phase", $"{PhaseMarkup(status?.Phase)} for {Age(status?.LastTransitionTime, now)}");
        Line("Weight", Markup.Escape($"{Bar(canary)} {status?.CanaryWeight ?? 0}/{MaxWeight(analysis)}, step {Step(canary)}"));
        Line("Failed checks", $"{status?.FailedChecks ?? 0}/{analysis?.Threshold ?? 0}");
        if (analysis?.Iterations > 0)
        {
            Line("Iterations", $"{status?.Iterations ?? 0}/{analysis.Iterations}");
        }

        Line("Revision", Markup.Escape(status?.LastAppliedSpec ?? "-"));
        if (canary.Metadata.Annotations?.Where(a => a.Key.StartsWith("flagger.app/gate-", StringComparison.Ordinal) || a.Key == GateAnnotations.Retry).ToList() is { Count: > 0 } gates)
        {
            Line("Gates", Markup.Escape(string.Join(", ", gates.Select(g => $"{g.Key}={g.Value}"))));
        }

        foreach (var condition in status?.Conditions ?? [])
        {
            Line($"Condition {condition.Type}", Markup.Escape($"{condition.Status} {condition.Reason}: {condition.Message}"));
        }

        var metrics = new Table().Border(TableBorder.Simple).Title("Metrics")
            .AddColumns("NAME", "INTERVAL", "THRESHOLD", "SOURCE", "VALUE", "VERDICT", "LAST CHECKS", "AGAINST PRIMARY");
        var charts = new List<IRenderable>();
        foreach (var metric in analysis?.Metrics ?? [])
        {
            var threshold = metric.Comparison is { } comparison
                ? $"{comparison.Method ?? "sequential"} vs primary, {comparison.Direction ?? "worse"} by {Margin(comparison.Margin)}"
                : metric.ThresholdRange is { } range
                    ? $"{Number(range.Min) ?? "-inf"}..{Number(range.Max) ?? "+inf"}"
                    : Number(metric.Threshold) ?? "-";
            var observed = status?.Metrics?.FirstOrDefault(m => m.Name == metric.Name);
            metrics.AddRow(
                Markup.Escape(metric.Name ?? string.Empty),
                Markup.Escape(metric.Interval ?? "1m"),
                Markup.Escape(threshold),
                Markup.Escape(metric.TemplateRef is { } t ? $"template {t.Name}" : "builtin"),
                Markup.Escape(Rounded(observed?.Value)),
                VerdictMarkup(observed?.Verdict),
                Markup.Escape(Sparkline(observed?.History)),
                Markup.Escape(Comparison(observed)));
            if (observed?.History is { Count: > 0 } history)
            {
                charts.Add(Chart(metric.Name ?? string.Empty, history));
            }
        }

        var webhooks = new Table().Border(TableBorder.Simple).Title("Webhooks").AddColumns("NAME", "TYPE", "URL");
        foreach (var hook in analysis?.Webhooks ?? [])
        {
            webhooks.AddRow(Markup.Escape(hook.Name ?? string.Empty), Markup.Escape(hook.Type ?? "rollout"), Markup.Escape(hook.Url ?? string.Empty));
        }

        var timeline = new Table().Border(TableBorder.Simple).Title("Timeline").AddColumns("AGE", "TYPE", "MESSAGE");
        foreach (var e in events)
        {
            timeline.AddRow(
                Markup.Escape(Age(e.LastTimestamp ?? e.EventTime ?? e.FirstTimestamp, now)),
                e.Type == "Warning" ? "[yellow]Warning[/]" : "Normal",
                Markup.Escape(e.Message ?? string.Empty));
        }

        return new Rows([summary, metrics, .. charts, webhooks, timeline]);
    }

    /// <summary>Each metric's last value and verdict, one per line: what the list shows of the analysis.</summary>
    public static string MetricsSummary(CanaryStatus? status) =>
        status?.Metrics is { Count: > 0 } metrics
            ? string.Join('\n', metrics.Select(m => $"{Markup.Escape(m.Name ?? "?")} {Markup.Escape(Rounded(m.Value))} {VerdictMarkup(m.Verdict)}"))
            : "-";

    /// <summary>Values per check as a line of block characters, lowest to highest of the values shown.</summary>
    public static string Sparkline(IReadOnlyList<double>? values)
    {
        const string Blocks = "▁▂▃▄▅▆▇█";
        if (values is not { Count: > 0 })
        {
            return "-";
        }

        var (low, high) = (values.Min(), values.Max());
        return string.Concat(values.Select(v => high > low ? Blocks[(int)Math.Round((v - low) / (high - low) * (Blocks.Length - 1))] : Blocks[Blocks.Length / 2]));
    }

    private static BarChart Chart(string metric, IReadOnlyList<double> history)
    {
        var chart = new BarChart().Width(60).Label(Markup.Escape($"{metric}, last {history.Count} checks (oldest first)")).LeftAlignLabel();
        for (var i = 0; i < history.Count; i++)
        {
            var label = i == history.Count - 1 ? "last" : $"-{history.Count - 1 - i}";
            chart.AddItem(label, Math.Round(history[i], 3), Color.Blue);
        }

        return chart;
    }

    private static string Margin(ComparisonMargin? margin) =>
        margin is null ? "any" : margin.IsPercent ? $"{Number(margin.Value)}%" : Number(margin.Value)!;

    private static string VerdictMarkup(string? verdict) => verdict switch
    {
        null => "-",
        "Pass" => "[green]Pass[/]",
        "Fail" or "Failed" => $"[red]{verdict}[/]",
        _ => $"[yellow]{Markup.Escape(verdict)}[/]",
    };

    private static string Comparison(CanaryMetricStatus? observed)
    {
        if (observed?.Estimate is not { } estimate)
        {
            return "-";
        }

        var interval = $"[{Number(observed.Lower) ?? "-inf"}, {Number(observed.Upper) ?? "+inf"}]";
        return $"{observed.Estimand} {Number(Math.Round(estimate, 3))} {interval}, n={observed.CanaryCount ?? 0}/{observed.PrimaryCount ?? 0}";
    }

    /// <summary>The weight toward maxWeight (or, for A/B testing, the iterations) as a bar of 20 cells.</summary>
    public static string Bar(Canary canary)
    {
        var analysis = Analysis(canary);
        var status = canary.Status;
        var (done, total) = analysis?.Iterations > 0
            ? (status?.Iterations ?? 0, analysis.Iterations)
            : (status?.CanaryWeight ?? 0, MaxWeight(analysis));
        if (status?.Phase is CanaryPhase.Succeeded or CanaryPhase.Promoting or CanaryPhase.Finalising)
        {
            done = total;
        }

        var filled = total <= 0 ? 0 : Math.Clamp(done * BarWidth / total, 0, BarWidth);
        return $"[{new string('#', filled)}{new string('.', BarWidth - filled)}]";
    }

    public static string PhaseMarkup(CanaryPhase? phase) => phase switch
    {
        null => "[grey]Pending[/]",
        CanaryPhase.Succeeded => "[green]Succeeded[/]",
        CanaryPhase.Failed => "[red]Failed[/]",
        CanaryPhase.Progressing or CanaryPhase.Promoting or CanaryPhase.Finalising => $"[blue]{phase}[/]",
        CanaryPhase.Waiting or CanaryPhase.WaitingPromotion => $"[yellow]{phase}[/]",
        _ => phase.ToString()!,
    };

    private static CanaryAnalysis? Analysis(Canary canary) => canary.Spec.Analysis ?? canary.Spec.CanaryAnalysis;

    private static int MaxWeight(CanaryAnalysis? analysis) =>
        analysis?.StepWeights is { Count: > 0 } steps ? steps[^1] : analysis?.MaxWeight > 0 ? analysis.MaxWeight : 100;

    private static string Step(Canary canary)
    {
        var analysis = Analysis(canary);
        var weight = canary.Status?.CanaryWeight ?? 0;
        if (analysis?.StepWeights is { Count: > 0 } steps)
        {
            return $"{steps.Count(s => s <= weight)}/{steps.Count}";
        }

        if (analysis?.StepWeight > 0)
        {
            var total = (MaxWeight(analysis) + analysis.StepWeight - 1) / analysis.StepWeight;
            return $"{Math.Min(total, weight / analysis.StepWeight)}/{total}";
        }

        return "-";
    }

    private static string Age(DateTimeOffset? since, DateTimeOffset now) => since is null ? "-" : Age(now - since.Value);

    private static string Age(DateTime? since, DateTimeOffset now) => since is null ? "-" : Age(now - new DateTimeOffset(DateTime.SpecifyKind(since.Value, DateTimeKind.Utc)));

    private static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        return age.TotalSeconds < 120 ? $"{(int)age.TotalSeconds}s"
            : age.TotalMinutes < 120 ? $"{(int)age.TotalMinutes}m"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }

    private static string Short(string? revision) => string.IsNullOrEmpty(revision) ? "-" : revision.Length > 10 ? revision[..10] : revision;

    private static string Rounded(double? value) => value is { } v ? Number(Math.Round(v, 2))! : "-";

    private static string? Number(double? value) => value?.ToString(CultureInfo.InvariantCulture);
}
