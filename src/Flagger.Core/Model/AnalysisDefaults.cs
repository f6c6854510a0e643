namespace Flagger.Model;

/// <summary>The deployment strategy a Canary implies; it is derived from the analysis, never declared.</summary>
public enum DeploymentStrategy
{
    /// <summary>Progressive traffic weights.</summary>
    Canary,

    /// <summary>Iterations with no live traffic on the canary.</summary>
    BlueGreen,

    /// <summary>Iterations with matched requests routed to the canary.</summary>
    ABTesting,
}

/// <summary>Flagger's defaults for the fields a Canary may leave out.</summary>
public static class AnalysisDefaults
{
    /// <summary>Analysis interval when none (or an unparsable one) is given.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    /// <summary>Default shortest interval; a host may lower it (tests, demo).</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(10);

    /// <summary>Default metric query window.</summary>
    public const string MetricInterval = "1m";

    /// <summary>Default progress deadline in seconds.</summary>
    public const int ProgressDeadlineSeconds = 600;

    /// <summary>Default readiness threshold in percent.</summary>
    public const int ReadyThreshold = 100;

    /// <summary>Total traffic weight.</summary>
    public const int TotalWeight = 100;

    /// <summary>
    /// The analysis interval, floored at <paramref name="minimum"/> and capped at <see cref="FieldLimits.MaxInterval"/>
    /// (validation reports a longer one; the cap keeps the schedule's timer valid meanwhile).
    /// </summary>
    public static TimeSpan GetInterval(this CanaryAnalysis? analysis, TimeSpan? minimum = null)
    {
        var interval = GoDuration.TryParse(analysis?.Interval, out var parsed) ? parsed : Interval;
        var floor = minimum ?? MinimumInterval;
        return interval < floor ? floor : interval > FieldLimits.MaxInterval ? FieldLimits.MaxInterval : interval;
    }

    /// <summary>Failed checks before rollback; at least 1.</summary>
    public static int GetThreshold(this CanaryAnalysis? analysis) => analysis is { Threshold: > 0 } a ? a.Threshold : 1;

    /// <summary>Highest canary weight: the last of stepWeights (at most 100), else maxWeight, else 100.</summary>
    public static int GetMaxWeight(this CanaryAnalysis? analysis)
    {
        if (analysis?.StepWeights is { Count: > 0 } steps)
        {
            return Math.Min(TotalWeight, steps[^1]);
        }

        return analysis is { MaxWeight: > 0 } a ? a.MaxWeight : TotalWeight;
    }

    /// <summary>Percentage of primary replicas that must be available.</summary>
    public static int GetPrimaryReadyThreshold(this CanaryAnalysis? analysis) =>
        analysis?.PrimaryReadyThreshold is > 0 and int t ? t : ReadyThreshold;

    /// <summary>Percentage of canary replicas that must be available.</summary>
    public static int GetCanaryReadyThreshold(this CanaryAnalysis? analysis) =>
        analysis?.CanaryReadyThreshold is > 0 and int t ? t : ReadyThreshold;

    /// <summary>The metric's query window as written (default <c>1m</c>).</summary>
    public static string GetInterval(this CanaryMetric metric) =>
        string.IsNullOrWhiteSpace(metric.Interval) ? MetricInterval : metric.Interval;

    /// <summary>The progress deadline.</summary>
    public static TimeSpan GetProgressDeadline(this CanarySpec spec) =>
        TimeSpan.FromSeconds(spec.ProgressDeadlineSeconds is > 0 and int s ? s : ProgressDeadlineSeconds);

    /// <summary>A/B when there are iterations and match conditions, Blue/Green with iterations alone, else Canary.</summary>
    public static DeploymentStrategy GetStrategy(this CanaryAnalysis? analysis) => analysis switch
    {
        { Iterations: > 0, Match: { ValueKind: System.Text.Json.JsonValueKind.Array } m } when m.GetArrayLength() > 0 => DeploymentStrategy.ABTesting,
        { Iterations: > 0 } => DeploymentStrategy.BlueGreen,
        _ => DeploymentStrategy.Canary,
    };

    /// <summary>The strategy's label in metrics: <c>canary</c>, <c>blue-green</c> or <c>ab-testing</c>.</summary>
    public static string ToLabel(this DeploymentStrategy strategy) => strategy switch
    {
        DeploymentStrategy.BlueGreen => "blue-green",
        DeploymentStrategy.ABTesting => "ab-testing",
        _ => "canary",
    };

    /// <summary>The apex Service name: <c>spec.service.name</c> or the target's name.</summary>
    public static string GetServiceName(this Canary canary) =>
        string.IsNullOrEmpty(canary.Spec.Service?.Name) ? canary.Spec.TargetRef?.Name ?? canary.Name : canary.Spec.Service.Name;

    /// <summary>The target's name.</summary>
    public static string GetTargetName(this Canary canary) => canary.Spec.TargetRef?.Name ?? string.Empty;

    /// <summary>The target's kind (<c>Deployment</c> when empty).</summary>
    public static string GetTargetKind(this Canary canary) =>
        string.IsNullOrEmpty(canary.Spec.TargetRef?.Kind) ? "Deployment" : canary.Spec.TargetRef.Kind;
}
