using System.Diagnostics;
using System.Globalization;
using System.Text;
using Flagger.Accuracy;
using Flagger.Model;

// The accuracy benchmark: seeded rollouts of the walkthrough's analysis under simulated traffic, run through the real
// engine (CanaryEngine with in-memory ports and a fake clock) and judged by Flagger's thresholds, Kayenta's
// Mann-Whitney and the sequential judge. Prints the tables of bench/ACCURACY.md and one machine-readable line per
// judge. `--rollouts N` per cell (default 1000), `--seed S` (default 1).
var rollouts = Int("--rollouts", 1000);
var seed = Int("--seed", 1);
double[] traffic = [0.5, 2, 10, 100];
static CanaryMetric Metric(string name, MetricComparison? comparison, double? threshold, string interval = "1m") =>
    new() { Name = name, Interval = interval, Threshold = threshold, Comparison = comparison };
static Func<CanaryAnalysis, CanaryAnalysis> Sequential(int threshold, int maxInconclusive) => a => a with
{
    Threshold = threshold,
    MaxInconclusive = maxInconclusive,
    Metrics =
    [
        // The error budget split between the two metrics.
        Metric("request-success-rate", new MetricComparison { Method = ComparisonMethods.Sequential, Confidence = 0.995 }, null),
        Metric("request-duration", new MetricComparison { Method = ComparisonMethods.Sequential, Confidence = 0.995 }, null),
    ],
};
var judges = new (string Name, Func<CanaryAnalysis, CanaryAnalysis> Analysis)[]
{
    ("flagger thresholds", a => a with { Metrics = [Metric("request-success-rate", null, 99), Metric("request-duration", null, 500)] }),
    ("kayenta mann-whitney", a => a with
    {
        MaxInconclusive = 1,
        Metrics =
        [
            Metric("request-success-rate", new MetricComparison { Method = ComparisonMethods.MannWhitney }, null, "10s"),
            Metric("request-duration", new MetricComparison { Method = ComparisonMethods.MannWhitney }, null, "10s"),
        ],
    }),
    ("sequential", Sequential(5, 1)),
    ("sequential, threshold 1", Sequential(1, 1)),
    ("sequential, threshold 1, maxInconclusive 2", Sequential(1, 2)),
};

var clock = Stopwatch.StartNew();
var cells = (from s in Enumerable.Range(0, Scenario.All.Count)
             from t in Enumerable.Range(0, traffic.Length)
             from j in Enumerable.Range(0, judges.Length)
             select (s, t, j)).ToArray();
var results = new RolloutResult[cells.Length][];
Parallel.For(0, cells.Length, c =>
{
    var (s, t, j) = cells[c];
    var outcomes = new RolloutResult[rollouts];
    for (var r = 0; r < rollouts; r++)
    {
        // The same seeds for every judge: each meets the same traffic until their weights part. (Not HashCode:
        // its seed changes with every process.)
        outcomes[r] = EngineRollout.Run(Scenario.All[s], traffic[t], judges[j].Analysis, unchecked((((((seed * 31) + s) * 31) + t) * 1_000_003) + r));
    }

    results[c] = outcomes;
});
clock.Stop();

var output = new StringBuilder();
output.AppendLine(Invariant($"rollouts per cell: {rollouts}, seed: {seed}, cells: {cells.Length}, wall: {clock.Elapsed.TotalSeconds:F0} s on {Environment.ProcessorCount} cores"));
output.AppendLine();
output.AppendLine("No regression: false rollback % / median minutes to promote (held % if any rollout was still held at 60 min)");
output.AppendLine();
output.AppendLine("| scenario | req/s | " + string.Join(" | ", judges.Select(j => j.Name)) + " |");
output.AppendLine("|---|---|" + string.Concat(judges.Select(_ => "---|")));
foreach (var (s, scenario) in Scenario.All.Index().Where(x => !x.Item.IsRegression))
{
    foreach (var (t, rps) in traffic.Index())
    {
        output.Append(Invariant($"| {scenario.Name} | {rps} |"));
        foreach (var j in Enumerable.Range(0, judges.Length))
        {
            var r = Results(s, t, j);
            var held = Percent(r, Ending.Held);
            output.Append(Invariant($" {Percent(r, Ending.RolledBack):0.0} / {Median(r.Where(x => x.Ending == Ending.Promoted).Select(x => x.Minutes))}{(held > 0 ? $" ({held:0.#}% held)" : string.Empty)} |"));
        }

        output.AppendLine();
    }
}

output.AppendLine();
output.AppendLine("Regression: detected (rolled back) % / median / p90 minutes to rollback / mean bad requests served by the canary (failed or slower than 500 ms)");
output.AppendLine();
output.AppendLine("| scenario | req/s | " + string.Join(" | ", judges.Select(j => j.Name)) + " |");
output.AppendLine("|---|---|" + string.Concat(judges.Select(_ => "---|")));
foreach (var (s, scenario) in Scenario.All.Index().Where(x => x.Item.IsRegression))
{
    foreach (var (t, rps) in traffic.Index())
    {
        output.Append(Invariant($"| {scenario.Name} | {rps} |"));
        foreach (var j in Enumerable.Range(0, judges.Length))
        {
            var r = Results(s, t, j);
            var detected = r.Where(x => x.Ending == Ending.RolledBack).Select(x => x.Minutes).ToList();
            output.Append(Invariant($" {Percent(r, Ending.RolledBack):0.0} / {Median(detected)} / {P90(detected)} / {r.Average(x => x.BadRequests):0} |"));
        }

        output.AppendLine();
    }
}

output.AppendLine();
var aa = Scenario.All.Index().Where(x => x.Item.Name == "A/A").Single().Index;
var twoPoints = Scenario.All.Index().Where(x => x.Item.Name == "errors +2 pp").Single().Index;
var tenRps = Array.IndexOf(traffic, 10.0);
foreach (var j in Enumerable.Range(0, judges.Length))
{
    var worstAa = Enumerable.Range(0, traffic.Length).Max(t => Percent(Results(aa, t, j), Ending.RolledBack));
    var r = Results(twoPoints, tenRps, j);
    var detected = r.Where(x => x.Ending == Ending.RolledBack).Select(x => x.Minutes).ToList();
    output.AppendLine(Invariant($"judge={judges[j].Name.Replace(", ", "-", StringComparison.Ordinal).Replace(' ', '-')} aa_false_rollback_pct_max={worstAa:0.0} detect_2pp_10rps_pct={Percent(r, Ending.RolledBack):0.0} median_ttd_2pp_10rps_min={Median(detected)} bad_requests_2pp_10rps={r.Average(x => x.BadRequests):0}"));
}

Console.Write(output.ToString());

// --plots DIR: one PNG per figure, A/A for false rollbacks and time to promote, +2 points of errors for the rest.
if (Text("--plots") is { } directory)
{
    Directory.CreateDirectory(directory);
    var names = judges.Select(j => j.Name).ToList();
    double[][] Figure(int s, Func<RolloutResult[], double> figure) =>
        [.. Enumerable.Range(0, judges.Length).Select(j => Enumerable.Range(0, traffic.Length).Select(t => figure(Results(s, t, j))).ToArray())];
    static double Minutes(string text) => text == "-" ? double.NaN : double.Parse(text, CultureInfo.InvariantCulture);
    IEnumerable<int> Detected(RolloutResult[] r) => r.Where(x => x.Ending == Ending.RolledBack).Select(x => x.Minutes);
    Plots.Write(Path.Combine(directory, "aa-false-rollbacks.png"), "A/A: false rollbacks", "% of rollouts rolled back", names, traffic, Figure(aa, r => Percent(r, Ending.RolledBack)));
    Plots.Write(Path.Combine(directory, "aa-time-to-promote.png"), "A/A: median time to promote", "minutes", names, traffic, Figure(aa, r => Minutes(Median(r.Where(x => x.Ending == Ending.Promoted).Select(x => x.Minutes)))));
    Plots.Write(Path.Combine(directory, "errors-2pp-detection.png"), "Errors +2 points: detection", "% of rollouts rolled back", names, traffic, Figure(twoPoints, r => Percent(r, Ending.RolledBack)));
    Plots.Write(Path.Combine(directory, "errors-2pp-median-time-to-detect.png"), "Errors +2 points: median time to detect", "minutes", names, traffic, Figure(twoPoints, r => Minutes(Median(Detected(r)))));
    Plots.Write(Path.Combine(directory, "errors-2pp-p90-time-to-detect.png"), "Errors +2 points: p90 time to detect", "minutes", names, traffic, Figure(twoPoints, r => Minutes(P90(Detected(r)))));
    Plots.Write(Path.Combine(directory, "errors-2pp-bad-requests.png"), "Errors +2 points: bad requests served by the canary", "mean requests (failed or slower than 500 ms)", names, traffic, Figure(twoPoints, r => r.Average(x => x.BadRequests)));
}

return 0;

RolloutResult[] Results(int s, int t, int j) => results[Array.IndexOf(cells, (s, t, j))];

static double Percent(RolloutResult[] r, Ending ending) => 100.0 * r.Count(x => x.Ending == ending) / r.Length;

static string Median(IEnumerable<int> minutes) => Quantile(minutes, 0.5);

static string P90(IEnumerable<int> minutes) => Quantile(minutes, 0.9);

static string Quantile(IEnumerable<int> minutes, double q)
{
    var sorted = minutes.Order().ToList();
    return sorted.Count == 0 ? "-" : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)].ToString(CultureInfo.InvariantCulture);
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

string? Text(string flag)
{
    var at = Array.IndexOf(args, flag);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

int Int(string flag, int fallback)
{
    var at = Array.IndexOf(args, flag);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
