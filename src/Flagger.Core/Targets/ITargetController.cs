using Flagger.Model;

namespace Flagger.Targets;

/// <summary>
/// Drives the workload under release (<c>Deployment</c>, <c>DaemonSet</c>): its primary copy, readiness, revisions,
/// promotion and scaling. Registered under the target kind it handles.
/// </summary>
public interface ITargetController
{
    /// <summary>Creates the primary workload (and its config copies) when absent; reports the primary's readiness when <paramref name="requirePrimaryReady"/>.</summary>
    Task<Readiness> InitializeAsync(Canary canary, bool requirePrimaryReady, CancellationToken cancellationToken);

    /// <summary>Whether the primary is ready to serve.</summary>
    Task<Readiness> IsPrimaryReadyAsync(Canary canary, CancellationToken cancellationToken);

    /// <summary>Whether the canary (target) is ready to serve.</summary>
    Task<Readiness> IsCanaryReadyAsync(Canary canary, CancellationToken cancellationToken);

    /// <summary>What the target runs now; the engine compares it with the status to detect a new revision.</summary>
    Task<TargetRevision> GetRevisionAsync(Canary canary, CancellationToken cancellationToken);

    /// <summary>Copies the target's pod template (and configs) over the primary.</summary>
    Task PromoteAsync(Canary canary, CancellationToken cancellationToken);

    /// <summary>Scales the target to zero.</summary>
    Task ScaleToZeroAsync(Canary canary, CancellationToken cancellationToken);

    /// <summary>Scales the target up for a new revision.</summary>
    Task ScaleFromZeroAsync(Canary canary, CancellationToken cancellationToken);

    /// <summary>Restores the target when a Canary with revertOnDeletion is deleted.</summary>
    Task FinalizeAsync(Canary canary, CancellationToken cancellationToken);
}

/// <summary>Clones the target's autoscaler for the primary. Registered under the autoscaler kind.</summary>
public interface IScalerReconciler
{
    /// <summary>Creates (<paramref name="initializing"/>) or updates (at promotion) the primary's autoscaler.</summary>
    Task ReconcilePrimaryScalerAsync(Canary canary, bool initializing, CancellationToken cancellationToken);

    /// <summary>Stops the target's autoscaler from scaling it up.</summary>
    Task PauseTargetScalerAsync(Canary canary, CancellationToken cancellationToken);

    /// <summary>Lets the target's autoscaler act again.</summary>
    Task ResumeTargetScalerAsync(Canary canary, CancellationToken cancellationToken);
}
