using System.Globalization;
using Flagger.Reliability.Harness;

// The reliability soak: the harness of tests/Flagger.Reliability.Tests at scale. Every rollout's end and every
// crash is printed as it happens; the last line is the summary issue 8 asks for.
var options = new ReliabilityRunOptions
{
    Apps = Int("--apps", 20),
    RolloutsPerApp = Math.Max(1, Int("--rollouts", 200) / Int("--apps", 20)),
    Crashes = Int("--crashes", 100),
    FaultRate = Double("--fault-rate", 0.10),
    DropWatches = !args.Contains("--no-watch-drops"),
    Speed = Double("--speed", 30),
    Seed = Int("--seed", 1),
    CrashSpread = Double("--crash-spread", 1),
    Trace = args.Contains("--trace"),
};
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"soak: {options.Apps} apps x {options.RolloutsPerApp} rollouts, {options.Crashes} crashes over {options.CrashSpread:P0} of the run, {options.FaultRate:P0} API faults, watch drops {(options.DropWatches ? "on" : "off")}, speed {options.Speed}x, seed {options.Seed}"));
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
var summary = await ReliabilityRun.RunAsync(options, Console.Out, cancel.Token);
foreach (var (first, second) in summary.FastAdvances)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"weight advanced twice within one interval: {first.App} {first.CanaryWeight}% at {first.At:HH:mm:ss} then {second.CanaryWeight}% at {second.At:HH:mm:ss}"));
}

var took = summary.Results.Select(r => r.Took.TotalSeconds).Order().ToList();
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"wall {summary.Elapsed.TotalSeconds:F0}s; rollout time (scaled) median {took[took.Count / 2]:F0}s, max {took[^1]:F0}s; fast advances {summary.FastAdvances.Count}"));
Console.WriteLine(summary.Line);
return summary.Results.All(r => r.Correct) && summary.FastAdvances.Count == 0 ? 0 : 1;

int Int(string flag, int fallback) => Value(flag) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

double Double(string flag, double fallback) => Value(flag) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

string? Value(string flag)
{
    var i = Array.IndexOf(args, flag);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
