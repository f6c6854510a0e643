namespace Flagger.Demo.Tests;

/// <summary>The walkthrough through a Gateway and an HTTPRoute (<c>--provider gatewayapi:v1</c>), in-process at a higher speed.</summary>
public sealed class GatewayApiDemoTests
{
    [Fact]
    public async Task Through_the_Gateway_API_the_demo_promotes_the_new_image_then_rolls_back_the_faulty_revision()
    {
        using var output = new StringWriter();
        var timeline = new Timeline();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));

        var exitCode = await DemoProgram.RunAsync(["--provider", "gatewayapi:v1", "--speed", "100"], output, timeout.Token, timeline);

        var text = output.ToString();
        Assert.True(exitCode == 0, text);
        Assert.Contains("gateway.gateway.networking.k8s.io/gateway created", text, StringComparison.Ordinal);
        var messages = timeline.Entries.Where(e => e.Canary == "podinfo.test").Select(e => e.Message).ToList();
        string[] expected =
        [
            "Initialization done! podinfo.test",
            "New revision detected! Scaling up podinfo.test",
            "Advance podinfo.test canary weight 10",
            "Advance podinfo.test canary weight 50",
            "Promotion completed! Scaling down podinfo.test",
            "New revision detected! Scaling up podinfo.test",
            "Halt podinfo.test advancement success rate 60.00% < 99%",
            "Rolling back podinfo.test failed checks threshold reached 5",
            "Canary failed! Scaling down podinfo.test",
        ];
        var position = -1;
        foreach (var message in expected)
        {
            var found = messages.FindIndex(position + 1, m => m == message);
            Assert.True(found >= 0, $"'{message}' not found after position {position} in:\n{string.Join('\n', messages)}");
            position = found;
        }

        Assert.Contains("Walkthrough complete: 1.4.1 promoted, 1.4.2 rolled back", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_provider_is_named_and_exits_two()
    {
        using var output = new StringWriter();

        var exitCode = await DemoProgram.RunAsync(["--provider", "linkerd"], output, TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
        Assert.Contains("--provider: must be istio, gatewayapi:v1 or gatewayapi:v1beta1, got 'linkerd'", output.ToString(), StringComparison.Ordinal);
    }
}
