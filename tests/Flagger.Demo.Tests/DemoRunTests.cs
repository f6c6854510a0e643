namespace Flagger.Demo.Tests;

/// <summary>The README's first command, run in-process at a higher speed.</summary>
public sealed class DemoRunTests
{
    [Fact]
    public async Task The_demo_promotes_the_new_image_then_rolls_back_the_faulty_revision_and_exits_zero()
    {
        using var output = new StringWriter();
        var timeline = new Timeline();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));

        var exitCode = await DemoProgram.RunAsync(["--speed", "100"], output, timeout.Token, timeline);

        var text = output.ToString();
        Assert.True(exitCode == 0, text);
        var messages = timeline.Entries.Where(e => e.Canary == "podinfo.test").Select(e => e.Message).ToList();
        var expected = new[]
        {
            "Initialization done! podinfo.test",
            "New revision detected! Scaling up podinfo.test",
            "Starting canary analysis for podinfo.test",
            "Advance podinfo.test canary weight 10",
            "Advance podinfo.test canary weight 50",
            "Copying podinfo.test template spec to podinfo-primary.test",
            "Promotion completed! Scaling down podinfo.test",
            "New revision detected! Scaling up podinfo.test",
            "Halt podinfo.test advancement success rate 60.00% < 99%",
            "Rolling back podinfo.test failed checks threshold reached 5",
            "Canary failed! Scaling down podinfo.test",
        };
        AssertInOrder(expected, messages);
        // The faulty revision never gets past its first step.
        var faulty = messages.Skip(messages.LastIndexOf("New revision detected! Scaling up podinfo.test"));
        Assert.DoesNotContain("Advance podinfo.test canary weight 20", faulty);
        Assert.Contains("test        podinfo   Succeeded", text, StringComparison.Ordinal);
        Assert.Contains("test        podinfo   Failed", text, StringComparison.Ordinal);
        Assert.Contains("Walkthrough complete: 1.4.1 promoted, 1.4.2 rolled back", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_sequential_judge_the_demo_promotes_the_new_image_and_rolls_back_the_faulty_revision()
    {
        using var output = new StringWriter();
        var timeline = new Timeline();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));

        var exitCode = await DemoProgram.RunAsync(["--speed", "100", "--judge", "sequential"], output, timeout.Token, timeline);

        var text = output.ToString();
        Assert.True(exitCode == 0, text);
        var messages = timeline.Entries.Where(e => e.Canary == "podinfo.test").Select(e => e.Message).ToList();
        AssertInOrder(
            [
                "Initialization done! podinfo.test",
                "Starting canary analysis for podinfo.test",
                "Advance podinfo.test canary weight 10",
                "Advance podinfo.test canary weight 50",
                "Promotion completed! Scaling down podinfo.test",
                "New revision detected! Scaling up podinfo.test",
                "Rolling back podinfo.test failed checks threshold reached 5",
            ],
            messages);
        Assert.Contains(messages, m => m.StartsWith("Halt podinfo.test advancement request-success-rate canary failure rate differs from the primary's beyond the margin", StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains("success rate 60.00% < 99%", StringComparison.Ordinal));
        Assert.Contains("kubectl -n test patch canary/podinfo --type merge", text, StringComparison.Ordinal);
        Assert.Contains("Walkthrough complete: 1.4.1 promoted, 1.4.2 rolled back", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_arguments_are_named_and_exit_two()
    {
        using var output = new StringWriter();

        var exitCode = await DemoProgram.RunAsync(["--speed", "fast", "--prometheus", "not a url", "serve", "--judge", "bayes"], output, TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
        var text = output.ToString();
        Assert.Contains("--speed: must be a number from 1 to 1000", text, StringComparison.Ordinal);
        Assert.Contains("--prometheus: must be an http(s) URL", text, StringComparison.Ordinal);
        Assert.Contains("serve: unknown argument", text, StringComparison.Ordinal);
        Assert.Contains("--judge: must be threshold or sequential, got 'bayes'", text, StringComparison.Ordinal);
    }

    /// <summary>Each expected message appears after the previous one.</summary>
    private static void AssertInOrder(string[] expected, List<string> actual)
    {
        var position = -1;
        foreach (var message in expected)
        {
            var found = -1;
            for (var i = position + 1; i < actual.Count; i++)
            {
                if (actual[i] == message)
                {
                    found = i;
                    break;
                }
            }

            Assert.True(found >= 0, $"'{message}' not found after position {position} in:\n{string.Join('\n', actual)}");
            position = found;
        }
    }
}
