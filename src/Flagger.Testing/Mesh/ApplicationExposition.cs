using System.Globalization;
using System.Text;

namespace Flagger.Testing.Mesh;

/// <summary>
/// Writes workload counters as the Prometheus text an instrumented application exposes and Prometheus' Kubernetes
/// pod discovery labels: <c>http_request_duration_seconds</c> (a histogram in seconds, its count split by
/// <c>status</c>) with <c>kubernetes_namespace</c> and <c>kubernetes_pod_name</c>, which the builtin queries of the
/// <c>kubernetes</c> and <c>gatewayapi</c> providers read.
/// </summary>
public static class ApplicationExposition
{
    /// <summary>The content type of the text.</summary>
    public const string ContentType = "text/plain; version=0.0.4";

    /// <summary>The exposition of every workload's counters, each as one pod of that workload.</summary>
    /// <param name="workloads">Counters to write.</param>
    /// <returns>Prometheus text format 0.0.4.</returns>
    public static string Write(IEnumerable<WorkloadCounters> workloads)
    {
        ArgumentNullException.ThrowIfNull(workloads);
        var text = new StringBuilder("# TYPE http_request_duration_seconds histogram\n");
        foreach (var counters in workloads)
        {
            // A Deployment's pod name: <workload>-<template hash>-<suffix>, which the builtin queries' pod regex takes.
            var labels = $"kubernetes_namespace=\"{counters.Namespace}\",kubernetes_pod_name=\"{counters.Workload}-7d9c8b6f5-x2x4k\"";
            for (var i = 0; i < IstioHistogram.Buckets.Count; i++)
            {
                Line(text, "http_request_duration_seconds_bucket", labels, $"le=\"{Format(IstioHistogram.Buckets[i] / 1000)}\"", counters.Buckets[i]);
            }

            Line(text, "http_request_duration_seconds_bucket", labels, "le=\"+Inf\"", counters.Total);
            Line(text, "http_request_duration_seconds_count", labels, "status=\"200\"", counters.Total - counters.Failed);
            Line(text, "http_request_duration_seconds_count", labels, "status=\"500\"", counters.Failed);
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string metric, string labels, string extra, double value) =>
        text.Append(metric).Append('{').Append(labels).Append(',').Append(extra).Append("} ").Append(Format(value)).Append('\n');

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
