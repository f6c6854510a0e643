using Flagger.Metrics;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Routing;

namespace Flagger.Fakes;

/// <summary>
/// The builtin queries of the mesh provider <c>istio</c>, as the Prometheus package registers them: Core ships no
/// provider, so its tests bring the queries the fakes answer (<see cref="ScriptedMetrics"/> tells them apart by series).
/// </summary>
public sealed class IstioQueries : IMetricObserver
{
    public string RequestSuccessRateQuery =>
        """
        sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}]))
        /
        sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}]))
        * 100
        """;

    public string RequestDurationQuery =>
        """
        histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le))
        """;
}

/// <summary>The builtin queries of the mesh provider <c>kubernetes</c>: the application's own histogram.</summary>
public sealed class KubernetesQueries : IMetricObserver
{
    public string RequestSuccessRateQuery =>
        "sum(rate(http_request_duration_seconds_count{kubernetes_pod_name=~\"{{ target }}-.*\",status!~\"5.*\"}[{{ interval }}])) / sum(rate(http_request_duration_seconds_count{kubernetes_pod_name=~\"{{ target }}-.*\"}[{{ interval }}])) * 100";

    public string RequestDurationQuery =>
        "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_pod_name=~\"{{ target }}-.*\"}[{{ interval }}])) by (le)) * 1000";
}

/// <summary>
/// Registers what the provider packages would: the builtin queries of <c>istio</c> on <c>prometheus</c>, the
/// Services-only <c>kubernetes</c> router, and (unless <paramref name="defaultMesh"/> is false) <c>istio</c> as the default.
/// </summary>
public static class TestProviderDefaults
{
    public static FlaggerEngineBuilder AddIstioDefaults(this FlaggerEngineBuilder builder, bool defaultMesh = true)
    {
        builder.AddProvider<IMetricObserver>("istio", new IstioQueries())
            .AddProvider<IMetricObserver>("kubernetes", new KubernetesQueries())
            .AddMeshRouter<ServicesOnlyRouter>("kubernetes", new RouterCapabilities { ShiftsWeights = false, Mirrors = false })
            .UseBuiltinMetricsProvider("prometheus", "http://prometheus:9090");
        return defaultMesh ? builder.UseDefaultMeshProvider("istio") : builder;
    }
}

/// <summary>A router with only the Services: it reports all primary before the first iteration, all canary after.</summary>
public sealed class ServicesOnlyRouter : IMeshRouter
{
    public Task ReconcileAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SetRoutesAsync(Canary canary, TrafficRoutes routes, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<TrafficRoutes> GetRoutesAsync(Canary canary, CancellationToken cancellationToken) =>
        Task.FromResult(canary.Status is { Iterations: > 0 } ? TrafficRoutes.AllToCanary : TrafficRoutes.AllToPrimary);

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;
}
