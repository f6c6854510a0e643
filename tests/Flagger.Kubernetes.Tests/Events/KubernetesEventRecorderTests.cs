using Flagger.Events;
using k8s;

namespace Flagger.Kubernetes.Events;

public sealed class KubernetesEventRecorderTests
{
    [Fact]
    public async Task Repeats_bump_the_count_of_one_event_and_new_messages_get_their_own()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var recorder = new KubernetesEventRecorder(kube.Client, kube.Clock);

        for (var i = 0; i < 3; i++)
        {
            await recorder.RecordAsync(canary, new CanaryEvent(EventSeverity.Warning, "Halt advancement no values found for istio metric request-success-rate probably podinfo.test is not receiving traffic"), KubeCluster.Ct);
            kube.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        await recorder.RecordAsync(canary, new CanaryEvent(EventSeverity.Info, "Initialization done! podinfo.test"), KubeCluster.Ct);

        var events = (await kube.Client.CoreV1.ListNamespacedEventAsync("test", cancellationToken: KubeCluster.Ct)).Items.OrderBy(e => e.Message, StringComparer.Ordinal).ToList();
        Assert.Equal(2, events.Count);
        var halt = events[0];
        Assert.Equal(("Warning", "Synced", "flagger", 3), (halt.Type, halt.Reason, halt.Source.Component, halt.Count));
        Assert.Equal(("Canary", "podinfo", canary.Metadata.Uid), (halt.InvolvedObject.Kind, halt.InvolvedObject.Name, halt.InvolvedObject.Uid));
        Assert.True(halt.LastTimestamp > halt.FirstTimestamp);
        Assert.Equal(("Normal", 1), (events[1].Type, events[1].Count));
    }

    [Fact]
    public async Task A_series_repeated_after_the_recorder_forgot_it_continues_on_the_server()
    {
        await using var kube = await KubeCluster.StartAsync();
        await kube.ApplyWalkthroughAsync(hpa: false);
        await kube.SettleAsync();
        var canary = await kube.CanaryAsync();
        var recorder = new KubernetesEventRecorder(kube.Client, kube.Clock);
        var halt = new CanaryEvent(EventSeverity.Warning, "Halt podinfo.test advancement error-rate 7.00 > 5");

        await recorder.RecordAsync(canary, halt, KubeCluster.Ct);
        await recorder.RecordAsync(canary, halt, KubeCluster.Ct);
        kube.Clock.Advance(EventSeries.Window + TimeSpan.FromMinutes(1));
        await recorder.RecordAsync(canary, halt, KubeCluster.Ct);

        var recorded = Assert.Single((await kube.Client.CoreV1.ListNamespacedEventAsync("test", cancellationToken: KubeCluster.Ct)).Items);
        Assert.Equal(3, recorded.Count);
        Assert.Equal(1, recorder.RememberedSeries);
    }
}
