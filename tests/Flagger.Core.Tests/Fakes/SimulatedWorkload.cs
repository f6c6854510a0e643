using Flagger.Model;
using Flagger.Targets;

namespace Flagger.Fakes;

/// <summary>
/// A Deployment and its primary as a target controller sees them: the target's template hash, the primary's,
/// replica counts and rollouts that take a number of readiness checks to finish.
/// </summary>
public sealed class SimulatedWorkload : ITargetController
{
    private int canaryChecksUntilReady;
    private int primaryChecksUntilReady;

    public string TargetTemplate { get; private set; } = "v1";

    public string? PrimaryTemplate { get; private set; }

    public int TargetReplicas { get; private set; } = 1;

    public int PrimaryReplicas { get; set; } = 2;

    /// <summary>Readiness checks a new canary rollout stays unready for.</summary>
    public int CanaryRolloutChecks { get; set; }

    /// <summary>Readiness checks a primary rollout stays unready for after a promotion.</summary>
    public int PrimaryRolloutChecks { get; set; }

    /// <summary>When set, the canary never becomes ready and reports its deadline as exceeded.</summary>
    public bool CanaryPastDeadline { get; set; }

    /// <summary>When set, the primary never becomes ready and reports its deadline as exceeded.</summary>
    public bool PrimaryPastDeadline { get; set; }

    /// <summary>When set, the target does not exist: initialising it fails as a missing Deployment does.</summary>
    public bool Missing { get; set; }

    public Dictionary<string, string> Configs { get; } = [];

    public int Promotions { get; private set; }

    public List<string> Calls { get; } = [];

    /// <summary>The user applies a new pod template (kubectl set image).</summary>
    public void SetImage(string template)
    {
        TargetTemplate = template;
        canaryChecksUntilReady = CanaryRolloutChecks;
    }

    public Task<Readiness> InitializeAsync(Canary canary, bool requirePrimaryReady, CancellationToken cancellationToken)
    {
        if (Missing)
        {
            var name = canary.GetTargetName();
            throw new TargetNotFoundException("Deployment", name, canary.Namespace, $"deployment {name}.{canary.Namespace} get query error: deployments.apps \"{name}\" not found");
        }

        if (PrimaryTemplate is null)
        {
            Calls.Add("create-primary");
            PrimaryTemplate = TargetTemplate;
        }

        return requirePrimaryReady ? IsPrimaryReadyAsync(canary, cancellationToken) : Task.FromResult(Readiness.Ready);
    }

    public Task<Readiness> IsPrimaryReadyAsync(Canary canary, CancellationToken cancellationToken)
    {
        var name = $"{canary.GetTargetName()}-primary.{canary.Namespace}";
        if (PrimaryPastDeadline)
        {
            return Task.FromResult(Readiness.GiveUp($"deployment \"{canary.GetTargetName()}-primary\" exceeded its progress deadline"));
        }

        if (primaryChecksUntilReady > 0)
        {
            primaryChecksUntilReady--;
            return Task.FromResult(Readiness.Wait($"Waiting for {name} rollout to finish: {PrimaryReplicas - 1} of {PrimaryReplicas} updated replicas are available"));
        }

        return Task.FromResult(Readiness.Ready);
    }

    public Task<Readiness> IsCanaryReadyAsync(Canary canary, CancellationToken cancellationToken)
    {
        var name = $"{canary.GetTargetName()}.{canary.Namespace}";
        if (CanaryPastDeadline)
        {
            return Task.FromResult(Readiness.GiveUp($"canary deployment {name} not ready: deployment \"{canary.GetTargetName()}\" exceeded its progress deadline"));
        }

        if (canaryChecksUntilReady > 0)
        {
            canaryChecksUntilReady--;
            return Task.FromResult(Readiness.Wait($"Waiting for {name} rollout to finish: 0 of {TargetReplicas} updated replicas are available"));
        }

        return Task.FromResult(Readiness.Ready);
    }

    public Task<TargetRevision> GetRevisionAsync(Canary canary, CancellationToken cancellationToken) =>
        Task.FromResult(new TargetRevision(SpecHash.Compute($"{{\"image\":\"{TargetTemplate}\"}}"), new Dictionary<string, string>(Configs)));

    public Task PromoteAsync(Canary canary, CancellationToken cancellationToken)
    {
        Calls.Add("promote");
        Promotions++;
        PrimaryTemplate = TargetTemplate;
        primaryChecksUntilReady = PrimaryRolloutChecks;
        return Task.CompletedTask;
    }

    public Task ScaleToZeroAsync(Canary canary, CancellationToken cancellationToken)
    {
        Calls.Add("scale-to-zero");
        TargetReplicas = 0;
        return Task.CompletedTask;
    }

    public Task ScaleFromZeroAsync(Canary canary, CancellationToken cancellationToken)
    {
        Calls.Add("scale-from-zero");
        TargetReplicas = 1;
        return Task.CompletedTask;
    }

    /// <summary>When set, <see cref="FinalizeAsync"/> throws it (an API call of the revert that fails).</summary>
    public Exception? FinalizeFailure { get; set; }

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken)
    {
        Calls.Add("finalize");
        return FinalizeFailure is { } failure ? Task.FromException(failure) : Task.CompletedTask;
    }
}
