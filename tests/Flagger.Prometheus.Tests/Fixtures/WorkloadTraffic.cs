using System.Globalization;
using System.Text;

namespace Flagger.Prometheus.Tests.Fixtures;

/// <summary>
/// What the exporter is told one workload serves: a request rate, the share of non-5xx answers and the P99 latency.
/// Counters grow linearly from the exporter's start, so every rate Prometheus computes is exact.
/// </summary>
public sealed record WorkloadTraffic(string Namespace, string Workload, double RequestsPerSecond, double SuccessRatePercent, double P99Milliseconds)
{
    /// <summary>Istio's default duration buckets in milliseconds.</summary>
    private static readonly double[] Buckets = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    /// <summary>Appends this workload's series after <paramref name="seconds"/> of traffic, plus <paramref name="extraFailures"/> 503s.</summary>
    public void WriteSeries(StringBuilder text, double seconds, double extraFailures = 0)
    {
        var total = RequestsPerSecond * seconds;
        var ok = total * SuccessRatePercent / 100;
        foreach (var reporter in new[] { "destination", "source" })
        {
            // The source reporter sees extra failures (e.g. client-side resets) the builtin queries must ignore.
            var failed = (reporter == "source" ? total : total - ok) + extraFailures;
            Line(text, "istio_requests_total", reporter, "response_code=\"200\"", ok);
            Line(text, "istio_requests_total", reporter, "response_code=\"503\"", failed);
        }

        foreach (var (le, fraction) in CumulativeFractions())
        {
            Line(text, "istio_request_duration_milliseconds_bucket", "destination", $"le=\"{Format(le)}\"", fraction * total);
            Line(text, "istio_request_duration_seconds_bucket", "destination", $"le=\"{Format(le / 1000)}\"", fraction * total);
        }

        Line(text, "istio_request_duration_milliseconds_bucket", "destination", "le=\"+Inf\"", total);
        Line(text, "istio_request_duration_milliseconds_count", "destination", null, total);
        Line(text, "istio_request_duration_seconds_bucket", "destination", "le=\"+Inf\"", total);
        Line(text, "istio_request_duration_seconds_count", "destination", null, total);
    }

    /// <summary>
    /// Bucket fractions such that Prometheus' linear interpolation puts the 0.99 quantile exactly at
    /// <see cref="P99Milliseconds"/>: every request is below the bucket holding it, and the share below its
    /// lower bound is chosen so the interpolated rank lands on the value.
    /// </summary>
    private IEnumerable<(double Le, double Fraction)> CumulativeFractions()
    {
        var upperIndex = Array.FindIndex(Buckets, b => b >= P99Milliseconds);
        var lower = upperIndex == 0 ? 0 : Buckets[upperIndex - 1];
        var upper = Buckets[upperIndex];
        var t = (P99Milliseconds - lower) / (upper - lower);
        var belowLower = (0.99 - t) / (1 - t);
        for (var i = 0; i < Buckets.Length; i++)
        {
            yield return (Buckets[i], i < upperIndex - 1 ? belowLower / 2 : i == upperIndex - 1 ? belowLower : 1);
        }
    }

    private void Line(StringBuilder text, string metric, string reporter, string? extra, double value)
    {
        text.Append(metric)
            .Append("{reporter=\"").Append(reporter)
            .Append("\",destination_workload_namespace=\"").Append(Namespace)
            .Append("\",destination_workload=\"").Append(Workload).Append('"');
        if (extra is not null)
        {
            text.Append(',').Append(extra);
        }

        text.Append("} ").Append(Format(value)).Append('\n');
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
