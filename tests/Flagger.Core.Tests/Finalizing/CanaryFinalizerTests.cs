using Flagger.Fakes;
using Flagger.Model;
using Flagger.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Finalizing;

public sealed class CanaryFinalizerTests
{
    [Fact]
    public async Task A_revert_step_that_fails_on_an_API_call_reports_the_failure_so_the_host_retries_it_soon()
    {
        var finalizers = new RecordingFinalizers();
        var canary = Walkthrough.Canary(spec: s => s with { RevertOnDeletion = true });
        var deleted = canary with { Metadata = canary.Metadata with { DeletionTimestamp = DateTimeOffset.UnixEpoch, Finalizers = [CanaryFinalizer.Name] } };
        using var harness = new CanaryHarness(deleted, providers: b => b.Services.AddSingleton<ICanaryFinalizerStore>(finalizers));
        var finalizer = harness.Provider.GetRequiredService<CanaryFinalizer>();
        harness.Workload.FinalizeFailure = new HttpRequestException("Operation returned an invalid status code 'InternalServerError'");

        var failed = await finalizer.RunAsync(harness.Store.Get("test", "podinfo"), TestContext.Current.CancellationToken);

        // The scheduler retries a tick whose report names a failure after an eighth of the interval; without it the
        // deleted Canary (and the outage revertOnDeletion is there to end) waited a whole interval.
        Assert.NotNull(failed);
        Assert.Equal("Reverting podinfo.test failed at the target: Operation returned an invalid status code 'InternalServerError'", failed.Failure);
        Assert.Empty(finalizers.Removed);

        harness.Workload.FinalizeFailure = null;
        var done = await finalizer.RunAsync(harness.Store.Get("test", "podinfo"), TestContext.Current.CancellationToken);

        Assert.Null(done!.Failure);
        Assert.Equal(["podinfo"], finalizers.Removed);
    }

    private sealed class RecordingFinalizers : ICanaryFinalizerStore
    {
        public List<string> Removed { get; } = [];

        public Task<Canary> AddFinalizerAsync(Canary canary, string finalizer, CancellationToken cancellationToken) => Task.FromResult(canary);

        public Task RemoveFinalizerAsync(Canary canary, string finalizer, CancellationToken cancellationToken)
        {
            Removed.Add(canary.Name);
            return Task.CompletedTask;
        }
    }
}
