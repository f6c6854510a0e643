// The decide stage of a due analysis step: AnalysisDecisions (hooks, metrics, the step), ComparisonDecisions (the
// judges' outcomes), MetricVerdicts (a value against its threshold) and TrafficDecisions (the strategy's next weight).

using System.Globalization;
using Flagger.Analysis.Judges;
using Flagger.Events;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;

namespace Flagger.Analysis.Decisions;

/// <summary>
/// Progressing and WaitingPromotion: the checks of one analysis step (pre-rollout hooks before any traffic, then the
/// rollout hooks and the metrics), and on success the strategy's next traffic move.
/// </summary>
internal static class AnalysisDecisions
{
    /// <summary>A failed check is counted; reaching the threshold rolls back in the same tick.</summary>
    public static Decision Check(in Observation o, ref Plan plan, TrafficRoutes routes)
    {
        CanaryEvent? failure;
        string? inconclusive = null;
        if (IsFirstStep(o, plan.Status, routes))
        {
            plan.Info($"Starting canary analysis for {o.TargetId}");
            if (RunStart.Gate(o, WebhookTypes.PreRollout) is not { } preRollout)
            {
                return Plan.Observe(Need.Gate(WebhookTypes.PreRollout));
            }

            failure = preRollout.IsOpen
                ? null
                : new CanaryEvent(EventSeverity.Warning, $"Halt {o.Canary.Id} advancement pre-rollout check {preRollout.ClosedBy!.Name} failed {preRollout.Error}");
            if (preRollout.IsOpen)
            {
                RunStart.Passed(o, ref plan, WebhookTypes.PreRollout, "Pre-rollout");
            }
        }
        else
        {
            if (RunStart.Gate(o, WebhookTypes.Rollout) is not { } rollout)
            {
                return Plan.Observe(Need.Gate(WebhookTypes.Rollout));
            }

            if (!rollout.IsOpen)
            {
                failure = new CanaryEvent(EventSeverity.Warning, $"Halt {o.Canary.Id} advancement external check {rollout.ClosedBy!.Name} failed {rollout.Error}");
            }
            else if (o.Metrics is not { } metrics)
            {
                return Plan.Observe(new Need(NeedKind.Metrics));
            }
            else
            {
                failure = metrics.Failure;
                foreach (var value in metrics.Values)
                {
                    plan.Observed(value);
                }

                if (metrics.ResolvedRefs is not null || metrics.AllResolved)
                {
                    plan.Status = StatusTransitions.SetResolvedRefs(plan.Status, metrics.ResolvedRefs, o.Now);
                }

                var judged = ComparisonDecisions.Judge(o, plan.Status, metrics);
                plan.Status = StatusTransitions.SetMetrics(plan.Status, judged.Metrics, o.Now);
                failure ??= judged.Failure;
                inconclusive = judged.Inconclusive;
            }
        }

        if (failure is null && inconclusive is not null)
        {
            return Inconclusive(o, ref plan, routes, inconclusive);
        }

        plan.Status = StatusTransitions.SetInconclusive(plan.Status, null, o.Now);
        if (failure is null)
        {
            return Advance(o, ref plan, routes);
        }

        plan.Emit(failure);
        plan.Status = StatusTransitions.AddFailedCheck(plan.Status, o.Now);
        return plan.Status.FailedChecks >= o.Analysis.GetThreshold() ? RunEndings.RollBack(o, ref plan) : plan.Done();
    }

    // Comparisons that cannot tell yet hold the weight: no failed check, no advance. After maxInconclusive such
    // steps in a row the step advances as if it had passed (no regression was found, and the sequential evidence
    // carries over to the next weight); without maxInconclusive the weight is held until the progress deadline,
    // counted from the first inconclusive step, and then the canary is rolled back with the reason.
    private static Decision Inconclusive(in Observation o, ref Plan plan, TrafficRoutes routes, string reason)
    {
        var since = plan.Status.InconclusiveSince ?? o.Now;
        var count = (plan.Status.InconclusiveChecks ?? 0) + 1;
        if (o.Analysis?.MaxInconclusive is { } max && count >= max)
        {
            plan.Info($"Advancing {o.Canary.Id} after {ComparisonDecisions.Intervals(count)} without a verdict (maxInconclusive {max}): {reason}");
            plan.Status = StatusTransitions.SetInconclusive(plan.Status, null, o.Now);
            return Advance(o, ref plan, routes);
        }

        var deadline = o.Canary.Spec.GetProgressDeadline();
        if (o.Analysis?.MaxInconclusive is null && o.Now - since >= deadline)
        {
            plan.Status = StatusTransitions.SetInconclusive(plan.Status, null, o.Now);
            var why = $"comparison inconclusive for {(long)(o.Now - since).TotalSeconds}s, past the progress deadline of {(long)deadline.TotalSeconds}s: {reason}";
            return RunEndings.RollBack(o, ref plan, why, $"Rolling back: {why}");
        }

        plan.Status = StatusTransitions.SetInconclusive(plan.Status, (count, since), o.Now);
        plan.Info($"Halt {o.Canary.Id} advancement comparison inconclusive ({ComparisonDecisions.Intervals(count)}): {reason}");
        return plan.Done();
    }

    // No traffic has reached the canary yet: weight 0, no iteration done, not mirroring.
    private static bool IsFirstStep(in Observation o, CanaryStatus status, TrafficRoutes routes) =>
        routes.CanaryWeight == 0 && status.Iterations == 0 && !(o.Analysis is { Mirror: true } && routes.Mirrored);

    /// <summary>Moves traffic one step after a successful analysis step, by strategy, and starts the promotion at the end.</summary>
    private static Decision Advance(in Observation o, ref Plan plan, TrafficRoutes routes)
    {
        var strategy = o.Analysis.GetStrategy();
        var iterations = o.Analysis?.Iterations ?? 0;
        var capabilities = o.Ports.Capabilities;
        if (!capabilities.ShiftsWeights)
        {
            // Without weighted routes only Blue/Green is possible; Flagger adapts the spec in memory and says so.
            if (strategy == DeploymentStrategy.ABTesting)
            {
                plan.Warn($"A/B testing is not supported when using the {o.Ports.Provider} provider");
            }

            if (iterations < 1)
            {
                plan.Warn($"Progressive traffic is not supported when using the {o.Ports.Provider} provider");
                plan.Warn("Setting canaryAnalysis.iterations: 10");
                iterations = 10;
            }

            strategy = DeploymentStrategy.BlueGreen;
        }

        return strategy switch
        {
            DeploymentStrategy.ABTesting => AdvanceAB(o, ref plan, iterations),
            DeploymentStrategy.BlueGreen => AdvanceBlueGreen(o, ref plan, routes, iterations),
            _ => AdvanceCanary(o, ref plan, routes),
        };
    }

    private static Decision AdvanceCanary(in Observation o, ref Plan plan, TrafficRoutes routes)
    {
        switch (TrafficDecisions.NextCanaryMove(o.Analysis, routes))
        {
            case CanaryMove.Mirror:
                plan.Routes = TrafficRoutes.AllToPrimary with { Mirrored = true };
                return plan.Done();
            case CanaryMove.Promote:
                return Promote(o, ref plan);
        }

        if (RunStart.Gate(o, WebhookTypes.ConfirmTrafficIncrease) is not { } gate)
        {
            return Plan.Observe(Need.Gate(WebhookTypes.ConfirmTrafficIncrease));
        }

        if (!gate.IsOpen)
        {
            plan.Warn($"Halt {o.Canary.Id} advancement waiting for traffic increase approval {gate.ClosedBy!.Name}");
            if (!gate.ClosedBy.MuteAlert)
            {
                plan.Alert("Canary traffic increase is waiting for approval.", AlertSeverity.Warn);
            }

            return plan.Done();
        }

        RunStart.Passed(o, ref plan, WebhookTypes.ConfirmTrafficIncrease, "Confirm-traffic-increase");
        var weight = TrafficDecisions.NextCanaryWeight(o.Analysis, routes.CanaryWeight);
        plan.Routes = TrafficDecisions.WithCanaryWeight(weight);
        plan.Status = StatusTransitions.SetWeight(plan.Status, weight, o.Now);
        plan.Info($"Advance {o.Canary.Id} canary weight {weight}");
        return plan.Done();
    }

    private static Decision AdvanceAB(in Observation o, ref Plan plan, int iterations)
    {
        if (TrafficDecisions.NextABMove(iterations, plan.Status.Iterations) == IterationMove.Promote)
        {
            return Promote(o, ref plan);
        }

        // The router applies the match conditions: only matching requests reach the canary.
        plan.Routes = TrafficRoutes.AllToCanary;
        CountIteration(o, ref plan, iterations);
        return plan.Done();
    }

    private static Decision AdvanceBlueGreen(in Observation o, ref Plan plan, TrafficRoutes routes, int iterations)
    {
        var capabilities = o.Ports.Capabilities;
        var mirror = o.Analysis is { Mirror: true } && capabilities.Mirrors;
        var move = TrafficDecisions.NextBlueGreenMove(iterations, plan.Status.Iterations);
        if (move == IterationMove.Iterate)
        {
            if (mirror && !routes.Mirrored)
            {
                plan.Routes = TrafficRoutes.AllToPrimary with { Mirrored = true };
            }

            CountIteration(o, ref plan, iterations);
            return plan.Done();
        }

        if (PromotionGate(o, ref plan) is { } waiting)
        {
            return waiting;
        }

        if (move == IterationMove.Promote)
        {
            return CopyToPrimary(o, ref plan);
        }

        if (capabilities.ShiftsWeights)
        {
            plan.Info(mirror ? "Stop traffic mirroring and route all traffic to canary" : "Routing all traffic to canary");
            plan.Routes = TrafficRoutes.AllToCanary;
        }

        plan.Status = StatusTransitions.SetIterations(plan.Status, plan.Status.Iterations + 1, o.Now);
        return plan.Done();
    }

    private static void CountIteration(in Observation o, ref Plan plan, int iterations)
    {
        var done = plan.Status.Iterations + 1;
        plan.Status = StatusTransitions.SetIterations(plan.Status, done, o.Now);
        plan.Info($"Advance {o.Canary.Id} canary iteration {done}/{iterations}");
    }

    private static Decision Promote(in Observation o, ref Plan plan) =>
        PromotionGate(o, ref plan) ?? CopyToPrimary(o, ref plan);

    // The confirm-promotion gate: null when open; otherwise the decision to wait (WaitingPromotion) or to ask the hooks.
    private static Decision? PromotionGate(in Observation o, ref Plan plan)
    {
        if (RunStart.Annotated(o).PromotionOpen)
        {
            // Approved with flagger promote: the confirm-promotion hooks are not asked.
            plan.Info($"Promotion approved ({GateAnnotations.Promote})");
            return null;
        }

        if (RunStart.Gate(o, WebhookTypes.ConfirmPromotion) is not { } gate)
        {
            return Plan.Observe(Need.Gate(WebhookTypes.ConfirmPromotion));
        }

        if (gate.IsOpen)
        {
            RunStart.Passed(o, ref plan, WebhookTypes.ConfirmPromotion, "Confirm-promotion");
            return null;
        }

        return RunStart.WaitAtGate(ref plan, gate, CanaryPhase.WaitingPromotion, "Canary promotion is waiting for approval.", $"Halt {o.Canary.Id} advancement waiting for promotion approval {gate.ClosedBy!.Name}");
    }

    private static Decision CopyToPrimary(in Observation o, ref Plan plan)
    {
        plan.Info($"Copying {o.TargetId} template spec to {o.Canary.GetTargetName()}-primary.{o.Canary.Namespace}");
        plan.Act(TargetAction.Promote);
        plan.SetPhase(CanaryPhase.Promoting);
        return plan.Done();
    }
}

/// <summary>
/// Turns one tick's metric checks into <c>status.metrics</c>: a threshold check is recorded as the reader judged it;
/// a comparison is judged here, its evidence (request counts or histogram buckets, which accumulate across steps)
/// carried over from the status. Pure: the same status and reading give the same verdicts.
/// </summary>
internal static class ComparisonDecisions
{
    /// <summary>The <c>method</c> recorded for a metric judged by its threshold.</summary>
    public const string Threshold = "threshold";

    /// <summary>What the checks concluded.</summary>
    /// <param name="Metrics">The new <c>status.metrics</c> (metrics not checked this tick keep their entry).</param>
    /// <param name="Failure">The first comparison that failed, as a failed-check event, or null.</param>
    /// <param name="Inconclusive">The comparisons that could not tell yet, named with their reasons, or null when none.</param>
    public readonly record struct Outcome(IReadOnlyList<CanaryMetricStatus> Metrics, CanaryEvent? Failure, string? Inconclusive);

    /// <summary>Records the checks of this tick and judges the comparisons among them.</summary>
    public static Outcome Judge(in Observation o, CanaryStatus status, MetricsReading reading)
    {
        var previous = status.Metrics ?? [];
        var checks = reading.Checks;
        var next = new List<CanaryMetricStatus>(Math.Max(previous.Count, checks.Count));
        CanaryEvent? failure = null;
        List<string>? inconclusive = null;
        foreach (var metric in o.Analysis?.Metrics ?? [])
        {
            var before = ComparisonReader.Previous(status, metric.Name);
            var check = Find(checks, metric);
            if (check is null)
            {
                if (before is not null)
                {
                    next.Add(before);
                }

                continue;
            }

            if (check.Comparison is not { } read)
            {
                next.Add(Recorded(before, metric, Threshold, check.Verdict!, check.Value, check.Message, o.Now));
                continue;
            }

            var entry = JudgeComparison(o, metric, before, read, check);
            next.Add(entry);
            if (entry.Verdict == nameof(Verdict.Fail) && failure is null)
            {
                failure = new CanaryEvent(EventSeverity.Warning, $"Halt {o.Canary.Id} advancement {metric.Name} {entry.Message}");
            }
            else if (entry.Verdict == nameof(Verdict.Inconclusive))
            {
                (inconclusive ??= []).Add($"{metric.Name}: {entry.Message}");
            }
        }

        return new Outcome(next, failure, inconclusive is null ? null : string.Join("; ", inconclusive));
    }

    private static MetricCheck? Find(IReadOnlyList<MetricCheck> checks, CanaryMetric metric)
    {
        for (var i = 0; i < checks.Count; i++)
        {
            if (ReferenceEquals(checks[i].Metric, metric))
            {
                return checks[i];
            }
        }

        return null;
    }

    private static CanaryMetricStatus Recorded(CanaryMetricStatus? before, CanaryMetric metric, string method, string verdict, double? value, string? message, DateTimeOffset now) =>
        (before is not null && before.Method == method ? before : new CanaryMetricStatus { Name = metric.Name, Method = method }) with
        {
            Verdict = verdict,
            Value = value,
            Message = message,
            LastCheckTime = now,
            History = value is { } v ? Append(before?.History, v) : before?.History,
        };

    private static CanaryMetricStatus JudgeComparison(in Observation o, CanaryMetric metric, CanaryMetricStatus? before, ComparisonRead read, MetricCheck check)
    {
        var comparison = metric.Comparison!;
        var method = comparison.IsSequential() ? ComparisonMethods.Sequential : ComparisonMethods.MannWhitney;
        var start = before is not null && before.Method == method ? before : new CanaryMetricStatus { Name = metric.Name, Method = method };
        start = start with { Since = start.Since ?? read.Window.Start };
        if (read.Outcome == MetricQueryOutcome.Failed)
        {
            return Recorded(start, metric, method, MetricReader.Failed, null, check.Message, o.Now);
        }

        if (read.Outcome == MetricQueryOutcome.NoValues)
        {
            return Recorded(start, metric, method, nameof(Verdict.Inconclusive), null, $"no values: {read.Error}", o.Now);
        }

        var (verdict, value, entry) = method == ComparisonMethods.MannWhitney
            ? MannWhitney(metric, start, read)
            : metric.Name == BuiltinMetrics.RequestDuration ? Latency(metric, start, read) : Counts(metric, start, read);
        return Recorded(entry, metric, method, verdict.Outcome.ToString(), value, verdict.Reason, o.Now) with
        {
            Estimand = verdict.Estimand,
            Estimate = Finite(verdict.Estimate),
            Lower = Finite(verdict.Lower),
            Upper = Finite(verdict.Upper),
            CanaryCount = verdict.CanaryCount,
            PrimaryCount = verdict.PrimaryCount,
        };
    }

    // Sequential test of the failure rate over the request counts since the run started.
    private static (JudgeVerdict, double?, CanaryMetricStatus) Counts(CanaryMetric metric, CanaryMetricStatus entry, ComparisonRead read)
    {
        var canary = read.Counts!.Canary;
        var primary = read.Counts.Primary;
        var evidence = new CountEvidence { Segments = entry.Counts ?? [] }
            .Add(read.CanaryWeight, Clamp(canary.Failures, canary.Requests), Math.Max(0, canary.Requests), Clamp(primary.Failures, primary.Requests), Math.Max(0, primary.Requests));
        var verdict = SequentialCountJudge.Judge(evidence, ComparisonSpec.FailureCountSettings(metric));
        double? value = canary.Requests > 0 ? 100.0 * (canary.Requests - Clamp(canary.Failures, canary.Requests)) / canary.Requests : null;
        if (metric.Name != BuiltinMetrics.RequestSuccessRate && canary.Requests > 0)
        {
            value = 100.0 * Clamp(canary.Failures, canary.Requests) / canary.Requests;
        }

        return (verdict, value, entry with { Counts = evidence.Segments });
    }

    // Sequential test of the duration distributions over the histogram since the run started.
    private static (JudgeVerdict, double?, CanaryMetricStatus) Latency(CanaryMetric metric, CanaryMetricStatus entry, ComparisonRead read)
    {
        var canary = read.Histograms!.Canary!;
        var primary = read.Histograms.Primary!;
        var bounds = new List<double>(canary.UpperBounds.Count);
        foreach (var bound in canary.UpperBounds)
        {
            if (double.IsFinite(bound))
            {
                bounds.Add(bound);
            }
        }

        var sameBuckets = primary.UpperBounds.Count == canary.UpperBounds.Count && canary.Cumulative.Count == canary.UpperBounds.Count
            && primary.Cumulative.Count == primary.UpperBounds.Count && canary.UpperBounds.SequenceEqual(primary.UpperBounds)
            && double.IsPositiveInfinity(canary.UpperBounds[^1]);
        if (!sameBuckets)
        {
            return (JudgeVerdict.NoData("CDF gap", 0, 0, "the two sides' duration histograms do not have the same buckets ending at +Inf"), null, entry);
        }

        // Evidence kept from earlier checks counts only while the buckets stay the same.
        var kept = entry.Latency is { } l && l.Bounds.SequenceEqual(bounds) ? l : null;
        var c = new long[bounds.Count + 1];
        var p = new long[bounds.Count + 1];
        for (var i = 0; i < c.Length; i++)
        {
            c[i] = Math.Max(0, canary.Cumulative[i]) + (kept?.Canary[i] ?? 0);
            p[i] = Math.Max(0, primary.Cumulative[i]) + (kept?.Primary[i] ?? 0);
        }

        var upper = new double[c.Length];
        bounds.CopyTo(upper);
        upper[^1] = double.PositiveInfinity;
        var verdict = SequentialLatencyJudge.Judge(upper, c, p, ComparisonSpec.Settings(metric));
        return (verdict, Quantile(canary, 0.99), entry with { Latency = new LatencyEvidence { Bounds = bounds, Canary = c, Primary = p } });
    }

    // Kayenta-style Mann-Whitney over each side's samples since the run's first check.
    private static (JudgeVerdict, double?, CanaryMetricStatus) MannWhitney(CanaryMetric metric, CanaryMetricStatus entry, ComparisonRead read)
    {
        var canary = Finite(read.Samples!.Canary!);
        var primary = Finite(read.Samples.Primary!);
        var verdict = MannWhitneyJudge.Judge(canary, primary, ComparisonSpec.Settings(metric));
        return (verdict, canary.Length > 0 ? canary[^1] : null, entry);
    }

    // The canary's q-quantile in one window's histogram, interpolated within its bucket as histogram_quantile does.
    private static double? Quantile(LatencyHistogram histogram, double q)
    {
        var total = histogram.Cumulative[^1];
        if (total <= 0)
        {
            return null;
        }

        var rank = q * total;
        for (var i = 0; i < histogram.Cumulative.Count; i++)
        {
            if (histogram.Cumulative[i] >= rank)
            {
                var upper = histogram.UpperBounds[i];
                if (!double.IsFinite(upper))
                {
                    return i > 0 ? histogram.UpperBounds[i - 1] : null;
                }

                var lower = i > 0 ? histogram.UpperBounds[i - 1] : 0;
                var below = i > 0 ? histogram.Cumulative[i - 1] : 0;
                var inBucket = histogram.Cumulative[i] - below;
                return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below) / inBucket);
            }
        }

        return null;
    }

    private static double[] Finite(IReadOnlyList<double> values)
    {
        var list = new List<double>(values.Count);
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                list.Add(v);
            }
        }

        return [.. list];
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static long Clamp(long failures, long requests) => Math.Clamp(failures, 0, Math.Max(0, requests));

    private static double[] Append(IReadOnlyList<double>? history, double value)
    {
        var count = history?.Count ?? 0;
        var skip = Math.Max(0, count + 1 - CanaryMetricStatus.HistoryLength);
        var next = new double[count - skip + 1];
        for (var i = skip; i < count; i++)
        {
            next[i - skip] = history![i];
        }

        next[^1] = value;
        return next;
    }

    /// <summary>Formats a count of intervals for an event.</summary>
    public static string Intervals(int n) => n.ToString(CultureInfo.InvariantCulture) + (n == 1 ? " interval" : " intervals");
}

/// <summary>Whether a metric value passes its threshold, and the halt message when it does not.</summary>
internal static class MetricVerdicts
{
    /// <summary>Success rate (percent): below the minimum (or legacy threshold) or above the maximum halts.</summary>
    public static string? CheckSuccessRate(Canary canary, CanaryMetric metric, double value)
    {
        if (NotFinite(canary, "success rate", value) is { } halt)
        {
            return halt;
        }

        var (min, max) = Bounds(metric, legacyIsMinimum: true);
        if (min is { } low && value < low)
        {
            return $"Halt {canary.Id} advancement success rate {Percent(value)}% < {Number(low)}%";
        }

        return max is { } high && value > high ? $"Halt {canary.Id} advancement success rate {Percent(value)}% > {Number(high)}%" : null;
    }

    /// <summary>
    /// Request duration (milliseconds): above the maximum (or legacy threshold) or below the minimum halts. Without
    /// either there is no bound, as in Flagger, which compares only a positive threshold.
    /// </summary>
    public static string? CheckRequestDuration(Canary canary, CanaryMetric metric, double milliseconds)
    {
        if (NotFinite(canary, "request duration", milliseconds) is { } halt)
        {
            return halt;
        }

        var (min, max) = metric.ThresholdRange is null && metric.Threshold is not > 0 ? (null, null) : Bounds(metric, legacyIsMinimum: false);
        if (max is { } high && milliseconds > high)
        {
            return $"Halt {canary.Id} advancement request duration {Duration(Math.Round(milliseconds, 3))} > {Duration(high)}";
        }

        return min is { } low && milliseconds < low
            ? $"Halt {canary.Id} advancement request duration {Duration(Math.Round(milliseconds, 3))} < {Duration(low)}"
            : null;
    }

    /// <summary>
    /// Template or inline metric: above the maximum (or legacy threshold) or below the minimum halts. A metric with
    /// neither threshold nor thresholdRange has the threshold 0, as in Flagger, whose threshold field defaults to 0:
    /// an "error count" without a bound halts on the first error instead of always passing.
    /// </summary>
    public static string? CheckCustom(Canary canary, CanaryMetric metric, double value)
    {
        if (NotFinite(canary, metric.Name, value) is { } halt)
        {
            return halt;
        }

        var (min, max) = Bounds(metric, legacyIsMinimum: false);
        if (max is { } high && value > high)
        {
            return $"Halt {canary.Id} advancement {metric.Name} {Percent(value)} > {Number(high)}";
        }

        return min is { } low && value < low ? $"Halt {canary.Id} advancement {metric.Name} {Percent(value)} < {Number(low)}" : null;
    }

    // thresholdRange wins; the legacy single threshold (0 when absent, as in Flagger) is a minimum for success rate
    // and a maximum otherwise.
    private static (double? Min, double? Max) Bounds(CanaryMetric metric, bool legacyIsMinimum)
    {
        if (metric.ThresholdRange is { } range)
        {
            return (range.Min, range.Max);
        }

        var threshold = metric.Threshold ?? 0;
        return legacyIsMinimum ? (threshold, null) : (null, threshold);
    }

    // +Inf, -Inf and NaN pass or fail every comparison by accident (and overflow a duration): none of them is a
    // measurement a canary can be judged by, so each is a failed check that says so.
    private static string? NotFinite(Canary canary, string? what, double value) => double.IsFinite(value)
        ? null
        : $"Halt {canary.Id} advancement {what} is {Number(value)}, not a finite number";

    // A duration past what a TimeSpan holds is shown in milliseconds rather than overflowing.
    private static string Duration(double milliseconds) => Math.Abs(milliseconds) < TimeSpan.MaxValue.TotalMilliseconds / 2
        ? GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds))
        : $"{Number(milliseconds)}ms";

    private static string Percent(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    private static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>The next traffic move of each strategy, given what the router applies now.</summary>
internal static class TrafficDecisions
{
    /// <summary>
    /// The canary weight after one more step: the next stepWeights entry, or the current weight plus stepWeight,
    /// never above maxWeight (Flagger overshoots it when maxWeight is not a multiple of the step).
    /// </summary>
    public static int NextCanaryWeight(CanaryAnalysis? analysis, int canaryWeight)
    {
        var maxWeight = analysis.GetMaxWeight();
        int next;
        if (analysis?.StepWeights is { Count: > 0 } steps)
        {
            next = steps.FirstOrDefault(w => w > canaryWeight, maxWeight);
        }
        else
        {
            next = canaryWeight + Math.Max(0, analysis?.StepWeight ?? 0);
        }

        return Math.Clamp(next, canaryWeight, Math.Min(maxWeight, AnalysisDefaults.TotalWeight));
    }

    /// <summary>
    /// Whether this tick may run the analysis and move traffic: not when the status last changed less than one
    /// interval ago, since that change was this interval's step. Ticks come sooner than the interval when an
    /// operator restarts or a new leader takes over (their schedules tick at once) or a target change wakes the
    /// schedule; each must not advance the weight a second time within one interval. A tenth of the interval is
    /// allowed for timer and clock granularity (a scaled clock makes a millisecond early look like seconds).
    /// </summary>
    public static bool IsStepDue(CanaryStatus status, TimeSpan interval, DateTimeOffset now) =>
        status.LastTransitionTime is not { } last || now - last >= interval - (interval / 10);

    /// <summary>
    /// True when the router serves a canary weight the status does not record: the last step was applied but the
    /// status write recording it never landed (the operator died between the two writes, or the write failed).
    /// Its time is unknown, so the step must not be taken again until it is recorded and an interval has passed.
    /// Only for progressive weights; iterations and mirroring do not track the weight.
    /// </summary>
    public static bool IsUnrecordedStep(CanaryStatus status, TrafficRoutes routes, DeploymentStrategy strategy) =>
        strategy == DeploymentStrategy.Canary && !routes.Mirrored && routes.CanaryWeight != status.CanaryWeight;

    /// <summary>What the canary strategy does on a successful tick.</summary>
    public static CanaryMove NextCanaryMove(CanaryAnalysis? analysis, TrafficRoutes routes)
    {
        if (routes.CanaryWeight >= analysis.GetMaxWeight())
        {
            return CanaryMove.Promote;
        }

        if (analysis is { Mirror: true } && routes.CanaryWeight == 0 && !routes.Mirrored)
        {
            return CanaryMove.Mirror;
        }

        return CanaryMove.IncreaseWeight;
    }

    /// <summary>The split once the canary weight becomes <paramref name="canaryWeight"/>; weights always sum to 100.</summary>
    public static TrafficRoutes WithCanaryWeight(int canaryWeight) =>
        new(AnalysisDefaults.TotalWeight - canaryWeight, canaryWeight);

    /// <summary>The split after one promotion step back to the primary (all at once without stepWeightPromotion).</summary>
    public static TrafficRoutes NextPromotionRoutes(CanaryAnalysis? analysis, TrafficRoutes routes)
    {
        var step = analysis?.StepWeightPromotion ?? 0;
        if (step <= 0)
        {
            return TrafficRoutes.AllToPrimary;
        }

        var primary = Math.Min(AnalysisDefaults.TotalWeight, routes.PrimaryWeight + step);
        return new TrafficRoutes(primary, AnalysisDefaults.TotalWeight - primary);
    }

    /// <summary>What Blue/Green does with <paramref name="done"/> of <paramref name="iterations"/> completed.</summary>
    public static IterationMove NextBlueGreenMove(int iterations, int done) => done switch
    {
        _ when done < iterations => IterationMove.Iterate,
        _ when done == iterations => IterationMove.RouteToCanary,
        _ => IterationMove.Promote,
    };

    /// <summary>What A/B testing does with <paramref name="done"/> of <paramref name="iterations"/> completed.</summary>
    public static IterationMove NextABMove(int iterations, int done) =>
        done < iterations ? IterationMove.Iterate : IterationMove.Promote;
}

/// <summary>Moves of the canary (weights) strategy.</summary>
internal enum CanaryMove
{
    /// <summary>Mirror traffic for one tick before the first weight step.</summary>
    Mirror,

    /// <summary>Raise the canary weight by one step.</summary>
    IncreaseWeight,

    /// <summary>Max weight reached: promote.</summary>
    Promote,
}

/// <summary>Moves of the iteration strategies.</summary>
internal enum IterationMove
{
    /// <summary>Count one more iteration.</summary>
    Iterate,

    /// <summary>Blue/Green: send all traffic to the canary before promotion.</summary>
    RouteToCanary,

    /// <summary>Promote.</summary>
    Promote,
}
