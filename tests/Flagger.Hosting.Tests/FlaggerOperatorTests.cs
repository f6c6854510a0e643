using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Flagger.Analysis;
using Flagger.Events;
using Flagger.Hosting.Metrics;
using Flagger.Leadership;
using Flagger.Model;
using Flagger.Store;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace Flagger.Hosting;

public sealed class FlaggerOperatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Checks_templates_and_providers_while_leading_and_stops_when_leadership_is_lost()
    {
        var references = new ReferenceFeed();
        using var leadership = new OneTerm();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<ICanaryFeed>(new EmptyFeed());
        services.AddSingleton<ICanaryStore>(new NoCanaries());
        services.AddSingleton<IEventRecorder>(new NoEvents());
        services.AddSingleton<IReferencedResourceStore>(references);
        services.AddFlagger();
        services.AddSingleton<ILeaderGate>(leadership);
        await using var provider = services.BuildServiceProvider();
        var host = provider.GetRequiredService<FlaggerOperator>();

        await host.StartAsync(Ct);
        references.Send(ReferencedResource.From(new MetricTemplate { Metadata = new ObjectMetadata { Name = "errors", Namespace = "test" } }));
        var (resource, report) = await references.Reports.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("errors", resource.Name);
        Assert.Contains("spec.query", report.Warning, StringComparison.Ordinal);

        await leadership.LoseAsync();
        await references.Stopped.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task A_deleted_canary_and_a_lost_term_leave_no_canary_series_on_metrics()
    {
        var feed = new ChannelFeed();
        using var leadership = new OneTerm();
        var metrics = new CanaryMetrics(Prometheus.Metrics.NewCustomRegistry());
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(metrics);
        services.AddSingleton<ICanaryFeed>(feed);
        services.AddSingleton<ICanaryStore>(new NoCanaries());
        services.AddSingleton<IEventRecorder>(new NoEvents());
        services.AddFlagger();
        services.AddSingleton<ILeaderGate>(leadership);
        await using var provider = services.BuildServiceProvider();
        var host = provider.GetRequiredService<FlaggerOperator>();
        await host.StartAsync(Ct);
        feed.Send(new CanaryChange(CanaryChangeType.Listed, string.Empty, string.Empty));

        // What the leader's ticks wrote for two canaries, one of them Failed.
        metrics.Record(Tick("podinfo", CanaryPhase.Failed), TimeSpan.Zero);
        metrics.Record(Tick("backend", CanaryPhase.Succeeded), TimeSpan.Zero);
        feed.Send(new CanaryChange(CanaryChangeType.Deleted, "test", "podinfo"));
        await EventuallyAsync(async () => !(await ExportAsync(metrics)).Contains("name=\"podinfo\"", StringComparison.Ordinal), "podinfo's series removed");
        Assert.Contains("flagger_canary_status{name=\"backend\",namespace=\"test\"} 1", await ExportAsync(metrics), StringComparison.Ordinal);

        await leadership.LoseAsync();

        await EventuallyAsync(async () => !(await ExportAsync(metrics)).Contains("flagger_canary_status{", StringComparison.Ordinal), "every canary series removed on standby");
        await host.StopAsync(Ct);
    }

    private static TickReport Tick(string name, CanaryPhase phase) => new()
    {
        Canary = new Canary
        {
            Metadata = new ObjectMetadata { Name = name, Namespace = "test" },
            Spec = new CanarySpec { TargetRef = new ObjectReference { Name = name } },
            Status = new CanaryStatus { Phase = phase },
        },
    };

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

    private sealed class OneTerm : ILeaderGate, IDisposable
    {
        private readonly CancellationTokenSource term = new();
        private int terms;

        public async Task<CancellationToken> AcquireAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref terms) > 1)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return term.Token;
        }

        public Task LoseAsync() => term.CancelAsync();

        public void Dispose() => term.Dispose();
    }

    private sealed class ReferenceFeed : IReferencedResourceStore
    {
        private readonly Channel<ReferencedResource> changes = Channel.CreateUnbounded<ReferencedResource>();

        public Channel<(ReferencedResource, ResourceReport)> Reports { get; } = Channel.CreateUnbounded<(ReferencedResource, ResourceReport)>();

        public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Send(ReferencedResource resource) => changes.Writer.TryWrite(resource);

        public async IAsyncEnumerable<ReferencedResource> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            // Not a cancellation callback: the read's own callback may end this iterator first and unregister it.
            try
            {
                while (true)
                {
                    yield return await changes.Reader.ReadAsync(cancellationToken);
                }
            }
            finally
            {
                Stopped.TrySetResult();
            }
        }

        public Task ReportAsync(ReferencedResource resource, ResourceReport report, CancellationToken cancellationToken)
        {
            Reports.Writer.TryWrite((resource, report));
            return Task.CompletedTask;
        }
    }

    private sealed class EmptyFeed : ICanaryFeed
    {
        public async IAsyncEnumerable<CanaryChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new CanaryChange(CanaryChangeType.Listed, string.Empty, string.Empty);
            await Task.Delay(Timeout.Infinite, cancellationToken);
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
