using EmbeddedEngine;
using Flagger.Model;

// A release pipeline's analysis step: the first release initialises, a healthy one is promoted, a faulty one is
// rolled back. The exit code tells the pipeline whether every release ended as expected.
using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(1));
using var analysis = new ReleaseAnalysis(Console.Out);

var ok = await analysis.ReleaseAsync("1.0.0", errorPercent: 0, cancel.Token) == CanaryPhase.Initialized
    & await analysis.ReleaseAsync("1.1.0", errorPercent: 0.2, cancel.Token) == CanaryPhase.Succeeded
    & await analysis.ReleaseAsync("1.2.0", errorPercent: 12, cancel.Token) == CanaryPhase.Failed
    & analysis.Primary == "1.1.0";

Console.WriteLine(ok ? "every release ended as expected" : "a release did not end as expected");
return ok ? 0 : 1;
