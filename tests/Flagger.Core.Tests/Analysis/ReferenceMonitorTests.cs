using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Analysis;

public sealed class ReferenceMonitorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ReferencedResource Template(string name, string? type) => ReferencedResource.From(new MetricTemplate
    {
        Metadata = new ObjectMetadata { Name = name, Namespace = "test" },
        Spec = new MetricTemplateSpec { Provider = new MetricTemplateProvider { Type = type, Address = "http://prom:9090" }, Query = "up" },
    });

    private static ReferencedResource Provider(string name, string type) => ReferencedResource.From(new AlertProvider
    {
        Metadata = new ObjectMetadata { Name = name, Namespace = "test" },
        Spec = new AlertProviderSpec { Type = type, Address = "https://hooks.example/x" },
    });

    [Fact]
    public async Task Reports_each_bad_object_once_and_leaves_good_ones_alone()
    {
        var store = new FakeReferenceStore();
        using var services = Services(store);
        var monitor = services.GetRequiredService<ReferenceMonitor>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = monitor.RunAsync(stop.Token);

        store.Send(Template("good", "prometheus"), Template("bad", null), Provider("pager", "pagerduty"), Provider("chat", "slack"));
        await store.WaitForReportsAsync(2);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Equal(["MetricTemplate bad", "AlertProvider pager"], store.Reports.Select(r => $"{r.Resource.Kind} {r.Resource.Name}"));
        Assert.Contains("spec.provider.type", store.Reports[0].Report.Warning, StringComparison.Ordinal);
        Assert.Contains("unknown type 'pagerduty'", store.Reports[1].Report.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_report_the_server_refuses_does_not_stop_the_others()
    {
        var store = new FakeReferenceStore { FailFor = "first" };
        using var services = Services(store);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = services.GetRequiredService<ReferenceMonitor>().RunAsync(stop.Token);

        store.Send(Template("first", null), Template("second", null));
        await store.WaitForReportsAsync(1);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Equal("second", Assert.Single(store.Reports).Resource.Name);
    }

    [Fact]
    public async Task Without_a_store_it_returns_at_once()
    {
        using var services = new ServiceCollection().AddFlaggerEngine().Services.BuildServiceProvider();

        await services.GetRequiredService<ReferenceMonitor>().RunAsync(Ct);
    }

    private static ServiceProvider Services(FakeReferenceStore store)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IReferencedResourceStore>(store);
        services.AddFlaggerEngine();
        return services.BuildServiceProvider();
    }

    private sealed class FakeReferenceStore : IReferencedResourceStore
    {
        private readonly Channel<ReferencedResource> changes = Channel.CreateUnbounded<ReferencedResource>();
        private readonly Channel<bool> reported = Channel.CreateUnbounded<bool>();

        public string? FailFor { get; init; }

        public List<(ReferencedResource Resource, ResourceReport Report)> Reports { get; } = [];

        public void Send(params ReferencedResource[] resources)
        {
            foreach (var resource in resources)
            {
                changes.Writer.TryWrite(resource);
            }
        }

        public async Task WaitForReportsAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await reported.Reader.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
            }
        }

        public async IAsyncEnumerable<ReferencedResource> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            while (true)
            {
                yield return await changes.Reader.ReadAsync(cancellationToken);
            }
        }

        public Task ReportAsync(ReferencedResource resource, ResourceReport report, CancellationToken cancellationToken)
        {
            if (resource.Name == FailFor)
            {
                throw new HttpRequestException("the server is currently unable to handle the request");
            }

            Reports.Add((resource, report));
            reported.Writer.TryWrite(true);
            return Task.CompletedTask;
        }
    }
}
