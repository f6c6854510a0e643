using System.Globalization;
using System.Text;

namespace Flagger.Testing.Mesh;

/// <summary>Writes workload counters as the Prometheus text Istio's sidecars expose.</summary>
public static class IstioExposition
{
    /// <summary>The content type of the text.</summary>
    public const string ContentType = "text/plain; version=0.0.4";

    /// <summary>The exposition of every workload's counters.</summary>
    /// <param name="workloads">Counters to write.</param>
    /// <returns>Prometheus text format 0.0.4.</returns>
    public static string Write(IEnumerable<WorkloadCounters> workloads)
    {
        ArgumentNullException.ThrowIfNull(workloads);
        var text = new StringBuilder();
        text.Append("# TYPE istio_requests_total counter\n");
        text.Append("# TYPE istio_request_duration_milliseconds histogram\n");
        text.Append("# TYPE istio_request_duration_seconds histogram\n");
        foreach (var counters in workloads)
        {
            WriteSeries(text, counters);
        }

        return text.ToString();
    }

    /// <summary>Appends one workload's series.</summary>
    /// <param name="text">Where to write.</param>
    /// <param name="counters">The workload's counters.</param>
    public static void WriteSeries(StringBuilder text, WorkloadCounters counters)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(counters);
        var ok = counters.Total - counters.Failed;
        foreach (var reporter in new[] { "destination", "source" })
        {
            // The source reporter also counts requests that never reached the pod; the builtin queries must ignore it.
            var failed = reporter == "source" ? counters.Total : counters.Failed;
            Line(text, "istio_requests_total", reporter, counters, "response_code=\"200\"", ok);
            Line(text, "istio_requests_total", reporter, counters, "response_code=\"503\"", failed);
        }

        for (var i = 0; i < IstioHistogram.Buckets.Count; i++)
        {
            var le = IstioHistogram.Buckets[i];
            Line(text, "istio_request_duration_milliseconds_bucket", "destination", counters, $"le=\"{Format(le)}\"", counters.Buckets[i]);
            Line(text, "istio_request_duration_seconds_bucket", "destination", counters, $"le=\"{Format(le / 1000)}\"", counters.Buckets[i]);
        }

        Line(text, "istio_request_duration_milliseconds_bucket", "destination", counters, "le=\"+Inf\"", counters.Total);
        Line(text, "istio_request_duration_milliseconds_count", "destination", counters, null, counters.Total);
        Line(text, "istio_request_duration_seconds_bucket", "destination", counters, "le=\"+Inf\"", counters.Total);
        Line(text, "istio_request_duration_seconds_count", "destination", counters, null, counters.Total);
    }

    private static void Line(StringBuilder text, string metric, string reporter, WorkloadCounters counters, string? extra, double value)
    {
        text.Append(metric)
            .Append("{reporter=\"").Append(reporter)
            .Append("\",destination_workload_namespace=\"").Append(counters.Namespace)
            .Append("\",destination_workload=\"").Append(counters.Workload).Append('"');
        if (extra is not null)
        {
            text.Append(',').Append(extra);
        }

        text.Append("} ").Append(Format(value)).Append('\n');
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
