using Flagger.Targets;
using k8s.Models;

namespace Flagger.Kubernetes.Targets;

/// <summary>Flagger's Deployment readiness (§2.5): retry later, or give up past the progress deadline.</summary>
internal static class DeploymentReadiness
{
    /// <summary>Null when ready; otherwise whether to retry, and why.</summary>
    public static (bool Retriable, string Reason)? Check(V1Deployment deployment, TimeSpan deadline, int readyThreshold, DateTimeOffset now)
    {
        var status = deployment.Status ?? new V1DeploymentStatus();
        if ((deployment.Metadata.Generation ?? 0) > (status.ObservedGeneration ?? 0))
        {
            return (true, "waiting for rollout to finish: observed deployment generation less than desired generation");
        }

        var retriable = true;
        var progress = status.Conditions?.FirstOrDefault(c => c.Type == "Progressing");
        if (progress is not null
            && status.Conditions?.FirstOrDefault(c => c.Type == "Available") is { Status: "False", Reason: "MinimumReplicasUnavailable" } available
            && available.LastUpdateTime is { } since)
        {
            // Stuck below the minimum for longer than the canary's deadline: stop waiting.
            retriable = new DateTimeOffset(DateTime.SpecifyKind(since, DateTimeKind.Utc)) + deadline >= now;
        }

        var updated = status.UpdatedReplicas ?? 0;
        var threshold = (int)(updated * (readyThreshold / 100f));
        if (progress?.Reason == "ProgressDeadlineExceeded")
        {
            return (false, $"deployment \"{deployment.Metadata.Name}\" exceeded its progress deadline");
        }

        if (deployment.Spec?.Replicas is { } desired && updated < desired)
        {
            return (retriable, $"waiting for rollout to finish: {updated} out of {desired} new replicas have been updated");
        }

        if ((status.Replicas ?? 0) > updated)
        {
            return (retriable, $"waiting for rollout to finish: {(status.Replicas ?? 0) - updated} old replicas are pending termination");
        }

        if ((status.AvailableReplicas ?? 0) < threshold)
        {
            return (retriable, $"waiting for rollout to finish: {status.AvailableReplicas ?? 0} of {threshold} (readyThreshold {readyThreshold}%) updated replicas are available");
        }

        return null;
    }

    /// <summary>The verdict as the engine wants it, with Flagger's prefix.</summary>
    public static Readiness ToReadiness((bool Retriable, string Reason)? check, string prefix) => check switch
    {
        null => Readiness.Ready,
        { Retriable: true } c => Readiness.Wait($"{prefix} not ready: {c.Reason}"),
        { } c => Readiness.GiveUp($"{prefix} not ready with retryable false: {c.Reason}"),
    };
}
