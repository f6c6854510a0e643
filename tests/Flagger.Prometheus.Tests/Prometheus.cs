using Flagger.Metrics;
using Flagger.Providers;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Prometheus.Tests;

/// <summary>The provider as the engine gets it: registered by <c>AddPrometheus</c>, created by the keyed factory.</summary>
internal static class Prometheus
{
    public static ServiceProvider Services(Action<PrometheusOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddFlaggerEngine().AddPrometheus(configure);
        return services.BuildServiceProvider();
    }

    public static IMetricsProvider Provider(this ServiceProvider services, Uri address, IReadOnlyDictionary<string, string>? credentials = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? headers = null) =>
        services.GetRequiredKeyedService<IMetricsProviderFactory>("prometheus").Create(new MetricsProviderSettings
        {
            Type = "prometheus",
            Address = address.ToString(),
            Credentials = credentials,
            Headers = headers,
        });

    /// <summary>A builtin query filled in for the walkthrough's namespace and <paramref name="target"/>.</summary>
    public static string Builtin(string template, string target, string interval = "1m") =>
        MetricQueryRenderer.Render(template, new MetricQueryVariables
        {
            Name = "podinfo",
            Namespace = "test",
            Target = target,
            Service = "podinfo",
            Interval = interval,
            Ingress = "podinfo",
            Route = "podinfo",
        }).Query!;
}
