using System.Globalization;
using MathNet.Numerics;
using MathNet.Numerics.RootFinding;

namespace Flagger.Analysis.Judges;

/// <summary>
/// An anytime-valid sequential test of the canary's failure rate against the primary's, over per-request counts, in
/// the family of Lindon and Malek's count-data tests that Lindon, Sanden and Shirikian's sequential regression
/// detection builds on. Given the requests each side answered, a failed request was the canary's with probability
/// θ = s·r / (s·r + 1 − s), where s is the canary's share of the requests and r the ratio of the canary's per-request
/// failure rate to the primary's, however the load and the shared failure rate move over time. The likelihood of
/// the failures' split, mixed over a normal prior on log r, divided by its value at a given r, is a test martingale
/// for that r; inverted, it is a confidence sequence for r that holds at every look at once, across weight steps.
/// So the verdict may be asked for after every interval, as often as wanted, and the chance that it is ever wrong
/// stays below 1 − confidence.
/// <list type="bullet">
/// <item>Fail: the whole interval for r lies beyond 1 + margin (the worse direction).</item>
/// <item>Pass: the whole interval lies on the good side of 1 + margin; needs a margin above 0.</item>
/// <item>Inconclusive: otherwise (no failures yet, or too few to tell).</item>
/// </list>
/// The published single-look test (a Beta(k·w, k·(1 − w)) mixture centred on the weight, restarted at each weight
/// step) is kept beside it as <see cref="PriorStrength"/> and the internal e-value functions, pinned to reference
/// values; in simulated rollouts its restarts and its prior, tight around "no effect", found canary regressions
/// later than the shared prior on log r does (bench/README.md).
/// </summary>
public static class SequentialCountJudge
{
    /// <summary>The published test's mixture strength k (the Beta prior's pseudo-count).</summary>
    public const double PriorStrength = 100;

    /// <summary>The default confidence of the sequential judge.</summary>
    public const double DefaultConfidence = 0.99;

    private const string Estimand = "failure-rate ratio";

    /// <summary>
    /// Standard deviation of the judge's normal prior on log r: most of its mass on ratios between 1/20 and 20, where
    /// canary regressions lie.
    /// </summary>
    public const double PriorScale = 1.5;

    // Searched range of log r: a ratio of e^±40 is as good as 0 or infinity.
    private const double LogRatioBound = 40;

    // The prior is integrated on a grid over ±5 standard deviations.
    private const double GridBound = 5 * PriorScale;
    private const double GridStep = 0.05;
    private const int GridPoints = (int)(2 * GridBound / GridStep) + 1;

    /// <summary>Judges the evidence so far.</summary>
    /// <param name="evidence">The counts since the canary started.</param>
    /// <param name="settings">
    /// Direction of the failure rate that is worse (<see cref="ComparisonDirection.Increase"/> for failures), the
    /// margin (a percent margin is relative to the primary's failure rate; an absolute one is in percentage points
    /// of failure rate, so 0.5 means the canary may fail 0.5% more of its requests), and the confidence.
    /// </param>
    /// <returns>The verdict; the estimate and interval are for r, the canary's failure rate over the primary's.</returns>
    public static JudgeVerdict Judge(CountEvidence evidence, ComparisonSettings settings)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var segments = evidence.Segments;
        long canaryFailures = evidence.CanaryFailures, primaryFailures = evidence.PrimaryFailures;
        long canaryRequests = evidence.CanaryRequests, primaryRequests = evidence.PrimaryRequests;
        var (nC, nB) = canaryRequests > 0 || primaryRequests > 0 ? (canaryRequests, primaryRequests) : (canaryFailures, primaryFailures);

        if (canaryFailures + primaryFailures == 0)
        {
            return JudgeVerdict.NoData(Estimand, nC, nB, "no failed requests on either side yet");
        }

        var margin = RelativeMargin(settings, primaryFailures, primaryRequests);
        var (estimate, lower, upper) = RatioInterval(segments, settings.Alpha);
        var worseBound = 1 + margin;
        var betterBound = 1 / (1 + margin);
        var (fail, pass) = settings.Direction switch
        {
            ComparisonDirection.Increase => (lower > worseBound, upper < worseBound && margin > 0),
            ComparisonDirection.Decrease => (upper < betterBound, lower > betterBound && margin > 0),
            _ => (lower > worseBound || upper < betterBound, lower > betterBound && upper < worseBound && margin > 0),
        };

        var outcome = fail ? Verdict.Fail : pass ? Verdict.Pass : Verdict.Inconclusive;
        var verdict = new JudgeVerdict(outcome, Estimand, estimate, lower, upper, nC, nB, string.Empty);
        var bound = JudgeVerdict.Number(settings.Direction == ComparisonDirection.Decrease ? betterBound : worseBound);
        var failures = string.Create(CultureInfo.InvariantCulture, $"{canaryFailures} canary and {primaryFailures} primary failures");
        var reason = outcome switch
        {
            Verdict.Fail => $"canary failure rate differs from the primary's beyond the margin (ratio {bound}), {failures}: {verdict.Interval(settings.Confidence)}",
            Verdict.Pass => $"canary failure rate is within the margin (ratio {bound}) of the primary's, {failures}: {verdict.Interval(settings.Confidence)}",
            _ => $"not enough evidence either way yet, {failures}: {verdict.Interval(settings.Confidence)}",
        };
        return verdict with { Reason = reason };
    }

    /// <summary>
    /// The log Bayes factor (e-value) of one segment against θ = w: the Dirichlet-multinomial marginal likelihood of
    /// the failures' split over its likelihood under the null.
    /// </summary>
    internal static double LogBayesFactor(double canaryFailures, double primaryFailures, double canaryWeight, double k = PriorStrength) =>
        LogMarginal(canaryFailures, primaryFailures, canaryWeight, k) - LogLikelihood(canaryFailures, primaryFailures, canaryWeight);

    /// <summary>The one-sided e-value with margin m: against every null θ up to θ_m = w(1+m) / (w(1+m) + 1 − w).</summary>
    internal static double LogBayesFactorWithMargin(double canaryFailures, double primaryFailures, double canaryWeight, double margin, double k = PriorStrength)
    {
        var thetaMargin = Theta(1 + margin, canaryWeight);
        var theta = canaryFailures + primaryFailures > 0 ? Math.Min(canaryFailures / (canaryFailures + primaryFailures), thetaMargin) : thetaMargin;
        return LogMarginal(canaryFailures, primaryFailures, canaryWeight, k) - LogLikelihood(canaryFailures, primaryFailures, theta);
    }

    /// <summary>
    /// The estimate of r and the confidence sequence's interval for it, over all segments, with the judge's mixture:
    /// a normal prior on log r (standard deviation <see cref="PriorScale"/>) shared by every segment, and each
    /// segment's null share of failures taken from its observed share of requests (the weight when requests are
    /// unknown). Given the requests, a failure lands on the canary with that share under "same failure rate",
    /// however the rate moves in time, so one martingale spans every weight step without restarting.
    /// </summary>
    internal static (double Estimate, double Lower, double Upper) RatioInterval(IReadOnlyList<CountSegment> segments, double alpha) =>
        Interval(segments, LogMarginalOverRatio(segments), alpha, observedShares: true);

    /// <summary>
    /// The published test's interval for r over segments: a Beta(k·w, k·(1 − w)) mixture per segment, centred on the
    /// weight, restarted at every weight step (the product of the segments' e-values).
    /// </summary>
    internal static (double Estimate, double Lower, double Upper) RatioInterval(IReadOnlyList<CountSegment> segments, double alpha, double k)
    {
        double marginal = 0;
        foreach (var s in segments)
        {
            marginal += LogMarginal(s.CanaryFailures, s.PrimaryFailures, s.CanaryWeight, k);
        }

        return Interval(segments, marginal, alpha, observedShares: false);
    }

    // The interval is where log E(r) = marginal − LL(log r) stays below log(1/α); LL is concave in log r.
    private static (double Estimate, double Lower, double Upper) Interval(IReadOnlyList<CountSegment> segments, double marginal, double alpha, bool observedShares)
    {
        double canary = 0, primary = 0;
        foreach (var s in segments)
        {
            canary += s.CanaryFailures;
            primary += s.PrimaryFailures;
        }

        if (canary + primary == 0)
        {
            return (double.NaN, 0, double.PositiveInfinity);
        }

        double Excess(double u) => marginal - LogLikelihoodAt(segments, u, observedShares) - Math.Log(1 / alpha);

        double Slope(double u)
        {
            double slope = 0;
            foreach (var s in segments)
            {
                slope += ((s.CanaryFailures + s.PrimaryFailures) * Theta(Math.Exp(u), NullShare(s, observedShares))) - s.CanaryFailures;
            }

            return slope;
        }

        var best = canary == 0 ? -LogRatioBound
            : primary == 0 ? LogRatioBound
            : FindRoot(Slope, -LogRatioBound, LogRatioBound);
        var estimate = canary == 0 ? 0 : primary == 0 ? double.PositiveInfinity : Math.Exp(best);
        if (Excess(best) >= 0)
        {
            // Even the best-fitting common ratio is rejected: the segments disagree; report the estimate alone.
            return (estimate, estimate, estimate);
        }

        var lower = Excess(-LogRatioBound) < 0 ? 0 : Math.Exp(FindRoot(Excess, -LogRatioBound, best));
        var upper = Excess(LogRatioBound) < 0 ? double.PositiveInfinity : Math.Exp(FindRoot(Excess, best, LogRatioBound));
        return (estimate, lower, upper);
    }

    /// <summary>The e-value against r = <paramref name="ratio"/> with the judge's mixture (for tests of its integral).</summary>
    internal static double LogEvidenceAgainst(IReadOnlyList<CountSegment> segments, double ratio) =>
        LogMarginalOverRatio(segments) - LogLikelihoodAt(segments, Math.Log(ratio), observedShares: true);

    // log ∫ L(r) dπ(log r) for the normal prior, by the rectangle rule on a grid fine against the likelihood's width
    // (log-sum-exp, so nothing underflows).
    private static double LogMarginalOverRatio(IReadOnlyList<CountSegment> segments)
    {
        Span<double> grid = stackalloc double[GridPoints];
        var largest = double.NegativeInfinity;
        for (var i = 0; i < GridPoints; i++)
        {
            var u = -GridBound + (i * GridStep);
            grid[i] = LogLikelihoodAt(segments, u, observedShares: true) - (u * u / (2 * PriorScale * PriorScale));
            largest = Math.Max(largest, grid[i]);
        }

        double sum = 0;
        foreach (var value in grid)
        {
            sum += Math.Exp(value - largest);
        }

        return largest + Math.Log(sum * GridStep / (PriorScale * Math.Sqrt(2 * Math.PI)));
    }

    // A segment's null share of failures: its share of requests when both sides' requests are known, else the weight.
    private static double NullShare(CountSegment s, bool observedShares) =>
        observedShares && s.CanaryRequests > 0 && s.PrimaryRequests > 0
            ? s.CanaryRequests / (double)(s.CanaryRequests + s.PrimaryRequests)
            : s.CanaryWeight;

    /// <summary>θ for a failure-rate ratio r at canary weight w.</summary>
    internal static double Theta(double ratio, double canaryWeight) =>
        double.IsPositiveInfinity(ratio) ? 1 : canaryWeight * ratio / ((canaryWeight * ratio) + 1 - canaryWeight);

    // A percent margin is relative already; an absolute one (percentage points of failure rate) becomes relative to
    // a pessimistic (high) estimate of the primary's failure rate, which keeps the test on the safe side.
    private static double RelativeMargin(ComparisonSettings settings, long primaryFailures, long primaryRequests)
    {
        if (settings.MarginIsPercent)
        {
            return settings.Margin / 100;
        }

        if (settings.Margin <= 0 || primaryRequests <= 0)
        {
            return 0;
        }

        var pessimisticRate = Math.Min(1, (primaryFailures + (2 * Math.Sqrt(primaryFailures)) + 2) / primaryRequests);
        return settings.Margin / 100 / pessimisticRate;
    }

    private static double LogMarginal(double canaryFailures, double primaryFailures, double canaryWeight, double k)
    {
        double a = k * canaryWeight, b = k * (1 - canaryWeight);
        return SpecialFunctions.GammaLn(a + canaryFailures) + SpecialFunctions.GammaLn(b + primaryFailures) - SpecialFunctions.GammaLn(a + b + canaryFailures + primaryFailures)
            - (SpecialFunctions.GammaLn(a) + SpecialFunctions.GammaLn(b) - SpecialFunctions.GammaLn(a + b));
    }

    private static double LogLikelihood(double canaryFailures, double primaryFailures, double theta) =>
        XLogY(canaryFailures, theta) + XLogY(primaryFailures, 1 - theta);

    private static double LogLikelihoodAt(IReadOnlyList<CountSegment> segments, double logRatio, bool observedShares)
    {
        double total = 0;
        foreach (var s in segments)
        {
            // θ and 1 − θ from the logistic form, so neither underflows to log(0) at extreme ratios.
            var share = NullShare(s, observedShares);
            var logit = logRatio + Math.Log(share / (1 - share));
            total -= (s.CanaryFailures * Softplus(-logit)) + (s.PrimaryFailures * Softplus(logit));
        }

        return total;
    }

    private static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));

    private static double XLogY(double x, double y) => x == 0 ? 0 : x * Math.Log(y);

    private static double FindRoot(Func<double, double> f, double low, double high) =>
        Brent.TryFindRoot(f, low, high, 1e-12, 200, out var root) ? root : Bisection.FindRoot(f, low, high, 1e-12, 400);
}
