using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Flagger.Analysis;
using Flagger.Events;
using Flagger.Model;
using Flagger.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Flagger.Hosting.Metrics;

/// <summary>
/// Two operator hosts in one process (a platform embedding two engines, a demo beside an operator, parallel tests):
/// each host's <c>/metrics</c>, read over HTTP, carries its own canaries' series only.
/// </summary>
public sealed class HostMetricsRegistryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_host_exports_only_its_own_canaries_and_a_deletion_in_one_leaves_the_others_series()
    {
        await using var alpha = await OperatorAsync();
        await using var beta = await OperatorAsync();

        // The same canary, podinfo.test, released by both (two clusters), failed in one and progressing in the other.
        alpha.Record("podinfo", CanaryPhase.Failed);
        alpha.Record("frontend", CanaryPhase.Succeeded);
        beta.Record("podinfo", CanaryPhase.Progressing);
        beta.Record("backend", CanaryPhase.Succeeded);

        var alphaPage = await alpha.ScrapeAsync();
        var betaPage = await beta.ScrapeAsync();
        Assert.Equal(["flagger_canary_status{name=\"frontend\",namespace=\"test\"} 1", "flagger_canary_status{name=\"podinfo\",namespace=\"test\"} 2"], Status(alphaPage));
        Assert.Equal(["flagger_canary_status{name=\"backend\",namespace=\"test\"} 1", "flagger_canary_status{name=\"podinfo\",namespace=\"test\"} 0"], Status(betaPage));

        alpha.Delete("podinfo");
        await EventuallyAsync(async () => !(await alpha.ScrapeAsync()).Contains("name=\"podinfo\"", StringComparison.Ordinal), "alpha's podinfo series removed");

        Assert.Equal(["flagger_canary_status{name=\"frontend\",namespace=\"test\"} 1"], Status(await alpha.ScrapeAsync()));
        Assert.Equal(["flagger_canary_status{name=\"backend\",namespace=\"test\"} 1", "flagger_canary_status{name=\"podinfo\",namespace=\"test\"} 0"], Status(await beta.ScrapeAsync()));
    }

    [Fact]
    public async Task A_stopping_host_clears_its_own_canary_series_only()
    {
        await using var leader = await OperatorAsync();
        await using var other = await OperatorAsync();
        leader.Record("podinfo", CanaryPhase.Failed);
        other.Record("podinfo", CanaryPhase.Failed);

        await leader.App.StopAsync(Ct);

        Assert.Empty(Status(await ExportAsync(leader.Metrics)));
        Assert.Equal(["flagger_canary_status{name=\"podinfo\",namespace=\"test\"} 2"], Status(await other.ScrapeAsync()));
    }

    [Fact]
    public async Task A_hosts_page_keeps_the_process_and_runtime_series_next_to_flaggers_and_names_no_peer_address()
    {
        await using var host = await OperatorAsync();
        host.Record("podinfo", CanaryPhase.Progressing);
        await host.ScrapeAsync();

        // The scrapes so far were HTTP client traffic to 127.0.0.1 and requests served by the host.
        var page = await host.ScrapeAsync();

        Assert.Contains("flagger_info{version=", page, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_status{name=\"podinfo\",namespace=\"test\"} 0", page, StringComparison.Ordinal);
        foreach (var family in new[] { "process_cpu_seconds_total", "process_working_set_bytes", "dotnet_total_memory_bytes", "dotnet_collection_count_total", "system_runtime_dotnet_gc_collections", "system_runtime_dotnet_thread_pool_thread_count", "prometheus_net_meteradapter_instruments_connected" })
        {
            Assert.Contains($"\n# TYPE {family} ", page, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("server_address", page, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_embedders_registry_receives_flaggers_series_and_is_what_metrics_serves()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var mine = Prometheus.Metrics.WithCustomRegistry(registry).CreateCounter("platform_deployments_total", "The embedding application's own series");
        mine.Inc();
        await using var host = await OperatorAsync(services => services.AddSingleton(registry));
        host.Record("podinfo", CanaryPhase.Failed);

        var page = await host.ScrapeAsync();

        Assert.Same(registry, host.Metrics.Registry);
        Assert.Contains("platform_deployments_total 1", page, StringComparison.Ordinal);
        Assert.Contains("flagger_canary_status{name=\"podinfo\",namespace=\"test\"} 2", page, StringComparison.Ordinal);
        // The embedder's registry holds what the embedder put there: Flagger adds no process collectors to it.
        Assert.DoesNotContain("process_cpu_seconds_total", page, StringComparison.Ordinal);
    }

    private static string[] Status(string page) =>
        [.. page.Split('\n').Where(l => l.StartsWith("flagger_canary_status{", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    private static async Task<string> ExportAsync(CanaryMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream, Ct);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 500 && !await condition(); i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(await condition(), what);
    }

    /// <summary>An operator host on a loopback port, leading, with its canaries fed by the test.</summary>
    private static async Task<Operator> OperatorAsync(Action<IServiceCollection>? configure = null)
    {
        var feed = new ChannelFeed();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ICanaryFeed>(feed);
        builder.Services.AddSingleton<ICanaryStore>(new NoCanaries());
        builder.Services.AddSingleton<IEventRecorder>(new NoEvents());
        builder.Services.AddFlagger();
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapFlaggerEndpoints();
        await app.StartAsync(Ct);
        var host = new Operator(app, feed);
        feed.Send(new CanaryChange(CanaryChangeType.Listed, string.Empty, string.Empty));
        await EventuallyAsync(async () => await host.ReadyAsync() == "OK", "the host leads and has listed its canaries");
        return host;
    }

    private sealed class Operator(WebApplication app, ChannelFeed feed) : IAsyncDisposable
    {
        private readonly HttpClient http = new() { BaseAddress = new Uri(app.Urls.First()) };

        public WebApplication App => app;

        public CanaryMetrics Metrics => app.Services.GetRequiredService<CanaryMetrics>();

        /// <summary>What the scheduler hands the metrics after a tick of canary <paramref name="name"/> in <c>test</c>.</summary>
        public void Record(string name, CanaryPhase phase) => Metrics.Record(
            new TickReport
            {
                Canary = new Canary
                {
                    Metadata = new ObjectMetadata { Name = name, Namespace = "test" },
                    Spec = new CanarySpec { TargetRef = new ObjectReference { Name = name } },
                    Status = new CanaryStatus { Phase = phase },
                },
            },
            TimeSpan.Zero);

        /// <summary>The watch reports canary <paramref name="name"/> in <c>test</c> deleted.</summary>
        public void Delete(string name) => feed.Send(new CanaryChange(CanaryChangeType.Deleted, "test", name));

        public Task<string> ScrapeAsync() => http.GetStringAsync(new Uri("/metrics", UriKind.Relative), Ct);

        public async Task<string> ReadyAsync()
        {
            using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
            return await response.Content.ReadAsStringAsync(Ct);
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await app.DisposeAsync();
        }
    }

    private sealed class ChannelFeed : ICanaryFeed
    {
        private readonly Channel<CanaryChange> changes = Channel.CreateUnbounded<CanaryChange>();

        public void Send(CanaryChange change) => changes.Writer.TryWrite(change);

        public async IAsyncEnumerable<CanaryChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            while (true)
            {
                yield return await changes.Reader.ReadAsync(cancellationToken);
            }
        }
    }

    private sealed class NoCanaries : ICanaryStore
    {
        public Task<Canary?> GetCanaryAsync(string @namespace, string name, CancellationToken cancellationToken) => Task.FromResult<Canary?>(null);

        public Task<Canary> UpdateStatusAsync(Canary canary, CanaryStatus status, CancellationToken cancellationToken) => Task.FromResult(canary);

        public Task<MetricTemplate?> GetMetricTemplateAsync(string @namespace, string name, CancellationToken cancellationToken) => Task.FromResult<MetricTemplate?>(null);

        public Task<AlertProvider?> GetAlertProviderAsync(string @namespace, string name, CancellationToken cancellationToken) => Task.FromResult<AlertProvider?>(null);
    }

    private sealed class NoEvents : IEventRecorder
    {
        public Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
