using Flagger.Model;
using Flagger.Targets;

namespace EmbeddedEngine.Ports;

/// <summary>
/// The workload as the pipeline deploys it: the candidate's version is its revision, and promotion makes the
/// candidate the primary. Rollouts are instant here, so both are always ready.
/// </summary>
internal sealed class ReleaseTarget(Release release) : ITargetController
{
    public Task<Readiness> InitializeAsync(Canary canary, bool requirePrimaryReady, CancellationToken cancellationToken)
    {
        if (release.Primary.Length == 0)
        {
            release.Primary = release.Candidate;
        }

        return Task.FromResult(Readiness.Ready);
    }

    public Task<Readiness> IsPrimaryReadyAsync(Canary canary, CancellationToken cancellationToken) => Task.FromResult(Readiness.Ready);

    public Task<Readiness> IsCanaryReadyAsync(Canary canary, CancellationToken cancellationToken) => Task.FromResult(Readiness.Ready);

    public Task<TargetRevision> GetRevisionAsync(Canary canary, CancellationToken cancellationToken) =>
        Task.FromResult(new TargetRevision(release.Candidate));

    public Task PromoteAsync(Canary canary, CancellationToken cancellationToken)
    {
        release.Primary = release.Candidate;
        return Task.CompletedTask;
    }

    // Nothing runs between releases, so there is nothing to scale.
    public Task ScaleToZeroAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ScaleFromZeroAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => Task.CompletedTask;
}
