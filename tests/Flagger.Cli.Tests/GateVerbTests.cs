using Flagger.Cli.Tests.Fixtures;
using Flagger.Model;
using Flagger.Testing.Receivers;

namespace Flagger.Cli.Tests;

/// <summary>
/// promote, pause, resume, abort and retry write the gate annotations (<see cref="GateAnnotations"/>) on a canary the
/// operator is holding, and refuse, exit code 1, where the gate does not exist. The load tester's way (a
/// confirm-promotion webhook that opens) keeps working beside them.
/// </summary>
public sealed class GateVerbTests : IAsyncLifetime
{
    private CliCluster cluster = null!;
    private RecordingReceiver gate = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        cluster = await CliCluster.StartAsync();
        gate = await RecordingReceiver.StartAsync(Ct);
        gate.AnswerAt("/closed", new ReceiverAnswer(403, "closed"));
    }

    public async ValueTask DisposeAsync()
    {
        await gate.DisposeAsync();
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task Pause_resume_and_promote_write_their_gates_and_the_operator_promotes_the_waiting_revision()
    {
        await cluster.CreateCanaryAsync("gated", $"spec.analysis.webhooks=[{{\"name\":\"approve\",\"type\":\"confirm-promotion\",\"url\":\"{gate.Url("/closed")}\"}}]");
        await cluster.WaitForPhaseAsync("gated", CanaryPhase.Initialized);
        await cluster.ReleaseAsync("gated", "stefanprodan/podinfo:1.4.1");
        var waiting = await cluster.WaitForPhaseAsync("gated", CanaryPhase.WaitingPromotion);
        var revision = waiting.Status!.LastAppliedSpec!;

        var pause = await cluster.FlaggerAsync("pause", "gated");
        Assert.True(pause.ExitCode == 0, pause.ToString());
        Assert.Equal("closed", await AnnotationAsync("gated", GateAnnotations.Rollout));
        var resume = await cluster.FlaggerAsync("resume", "gated");
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Null(await AnnotationAsync("gated", GateAnnotations.Rollout));

        var promote = await cluster.FlaggerAsync("promote", "gated");
        Assert.True(promote.ExitCode == 0, promote.ToString());
        Assert.Equal($"canary gated.test: confirm-promotion gate opened for revision {revision} (flagger.app/gate-promote)", promote.Output.Trim());

        // The confirm-promotion webhook still answers "closed": the annotation alone promotes this revision.
        var promoted = await cluster.WaitForPhaseAsync("gated", CanaryPhase.Succeeded);
        Assert.Equal(revision, promoted.Status!.LastPromotedSpec);
        Assert.Equal(revision, await AnnotationAsync("gated", GateAnnotations.Promote));
    }

    [Fact]
    public async Task Abort_writes_its_gate_and_the_operator_rolls_the_revision_back()
    {
        await cluster.CreateCanaryAsync("aborted", $"spec.analysis.webhooks=[{{\"name\":\"approve\",\"type\":\"confirm-promotion\",\"url\":\"{gate.Url("/closed")}\"}}]");
        await cluster.WaitForPhaseAsync("aborted", CanaryPhase.Initialized);
        await cluster.ReleaseAsync("aborted", "stefanprodan/podinfo:1.4.1");
        var waiting = await cluster.WaitForPhaseAsync("aborted", CanaryPhase.WaitingPromotion);

        var abort = await cluster.FlaggerAsync("abort", "aborted", "-n", "test");
        Assert.True(abort.ExitCode == 0, abort.ToString());
        Assert.Equal(waiting.Status!.LastAppliedSpec, await AnnotationAsync("aborted", GateAnnotations.Abort));

        var failed = await cluster.WaitForPhaseAsync("aborted", CanaryPhase.Failed);
        Assert.Equal(0, failed.Status!.CanaryWeight);
    }

    [Fact]
    public async Task Retry_names_the_failure_of_a_failed_canary()
    {
        await cluster.CreateCanaryAsync("failing", $"spec.analysis.webhooks=[{{\"name\":\"smoke\",\"url\":\"{RecordingReceiver.RefusedAddress()}\"}}]");
        await cluster.WaitForPhaseAsync("failing", CanaryPhase.Initialized);
        await cluster.ReleaseAsync("failing", "stefanprodan/podinfo:1.4.1");
        var failed = await cluster.WaitForPhaseAsync("failing", CanaryPhase.Failed);

        var retry = await cluster.FlaggerAsync("retry", "failing");
        Assert.True(retry.ExitCode == 0, retry.ToString());
        var failure = GateAnnotations.FailureOf(failed.Status)!;
        Assert.Equal($"canary failing.test: retry of the failure at {failure} requested (flagger.app/retry)", retry.Output.Trim());
        Assert.Equal(failure, await AnnotationAsync("failing", GateAnnotations.Retry));

        // The operator honours it: the analysis of the same revision starts over, so the failure it named is over
        // (the canary is Progressing again, or has failed anew at a later time since its hook still refuses).
        var restarted = false;
        for (var i = 0; i < 600 && !restarted; i++)
        {
            var canary = await cluster.Client.GetCanaryAsync("test", "failing", Ct);
            restarted = GateAnnotations.FailureOf(canary!.Status) != failure;
            if (!restarted)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
            }
        }

        Assert.True(restarted, "the operator never restarted the failed analysis");
        var now = await cluster.Client.GetCanaryAsync("test", "failing", Ct);
        Assert.Equal(failed.Status!.LastAppliedSpec, now!.Status!.LastAppliedSpec);
        Assert.False(GateAnnotations.Read(now.Metadata.Annotations, now.Status).RetryRequested);
    }

    [Fact]
    public async Task Verbs_refuse_where_their_gate_does_not_exist()
    {
        await cluster.CreateCanaryAsync("idle");
        await cluster.WaitForPhaseAsync("idle", CanaryPhase.Initialized);

        foreach (var verb in new[] { "promote", "abort" })
        {
            var result = await cluster.FlaggerAsync(verb, "idle");
            Assert.Equal(1, result.ExitCode);
            Assert.Equal($"error: canary idle.test is Initialized: nothing to {verb} (a revision must be under analysis: Progressing, Waiting or WaitingPromotion)", result.Error.Trim());
        }

        var retry = await cluster.FlaggerAsync("retry", "idle");
        Assert.Equal(1, retry.ExitCode);
        Assert.Equal("error: canary idle.test is Initialized: only a Failed canary can be retried", retry.Error.Trim());

        var missing = await cluster.FlaggerAsync("pause", "nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("error: canary nope not found in namespace test", missing.Error.Trim());

        var canary = await cluster.Client.GetCanaryAsync("test", "idle", Ct);
        Assert.DoesNotContain(canary!.Metadata.Annotations ?? new Dictionary<string, string>(), a => a.Key.StartsWith("flagger.app/", StringComparison.Ordinal));
    }

    private async Task<string?> AnnotationAsync(string name, string key)
    {
        var canary = await cluster.Client.GetCanaryAsync("test", name, Ct);
        return canary?.Metadata.Annotations?.GetValueOrDefault(key);
    }
}
