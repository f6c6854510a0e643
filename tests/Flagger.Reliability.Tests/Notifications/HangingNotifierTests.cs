using Flagger.Model;
using Flagger.Reliability.Harness;
using Flagger.Testing.Receivers;
using k8s;

namespace Flagger.Reliability.Notifications;

/// <summary>
/// A Slack endpoint that accepts the connection and never answers (the blackholed egress of a NetworkPolicy) must not
/// hold a canary: it initialises, and a revision failing its checks is rolled back in the tick that reaches the
/// threshold, through the operator's real Slack notifier and a real loopback listener (difference 23 in the README).
/// </summary>
public sealed class HangingNotifierTests(ITestOutputHelper output)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_chat_service_that_never_answers_blocks_neither_initialisation_nor_rollback()
    {
        await using var receiver = await RecordingReceiver.StartAsync(Ct);
        receiver.AnswerAt("/hook", ReceiverAnswer.Never);
        await using var cluster = await ReliabilityCluster.StartAsync(30, 7, Ct);
        cluster.Cluster.Apply(
            $"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: {ReliabilityCluster.Namespace}
            ---
            apiVersion: flagger.app/v1beta1
            kind: AlertProvider
            metadata:
              name: slack
              namespace: {ReliabilityCluster.Namespace}
            spec:
              type: slack
              channel: deploys
              address: {receiver.Url("/hook")}
            """,
            ReliabilityCluster.Namespace);
        cluster.CreateApps(1, alertProvider: "slack");
        await using var flagger = await OperatorInstance.StartAsync(cluster, "flagger-replica-0", null, null, Ct);
        var driver = new RolloutDriver(cluster);

        await driver.WaitForInitializedAsync(Ct);

        // Alerts follow the status write (README difference 23), so the Initialized phase can be read a moment before
        // the alert's request reaches the listener.
        var posted = false;
        for (var i = 0; i < 100 && !posted; i++)
        {
            posted = receiver.At("/hook").Count + receiver.InFlight >= 1;
            if (!posted)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
            }
        }

        Assert.True(posted, "the initialisation alert was not posted within 10 s of the Initialized phase");

        var result = Assert.Single(await driver.RunAsync([new RolloutPlan("app-0", 1, Faulty: true)], r => output.WriteLine($"{r}"), Ct));

        Assert.Equal(CanaryPhase.Failed, result.Phase);
        Assert.False(result.Stuck);
        Assert.NotEqual(1, result.PrimaryRevision);
        var events = (await cluster.Client.CoreV1.ListNamespacedEventAsync(ReliabilityCluster.Namespace, fieldSelector: "involvedObject.kind=Canary,involvedObject.name=app-0", cancellationToken: Ct)).Items;
        Assert.Contains(events, e => e.Message == "Rolling back app-0.apps failed checks threshold reached 2");
        Assert.Contains(events, e => e.Message == "Canary failed! Scaling down app-0.apps");
    }
}
