using Flagger.Model;
using Flagger.Targets;

namespace Flagger.Analysis.Decisions;

/// <summary>Whether the target runs a revision the canary has not analysed yet.</summary>
internal static class RevisionDecisions
{
    /// <summary>
    /// True for a pod template the canary has not seen: no hash recorded yet, or one that differs from the last
    /// applied. A manual revert to what the primary already runs is not a new revision.
    /// </summary>
    public static bool HasTargetChanged(CanaryStatus? status, TargetRevision revision)
    {
        if (string.IsNullOrEmpty(status?.LastAppliedSpec))
        {
            return true;
        }

        if (revision.SpecHash == status.LastPromotedSpec)
        {
            return false;
        }

        return revision.SpecHash != status.LastAppliedSpec;
    }

    /// <summary>True when a tracked ConfigMap or Secret appeared, disappeared or changed.</summary>
    public static bool HaveDependenciesChanged(CanaryStatus? status, TargetRevision revision)
    {
        var recorded = status?.TrackedConfigs;
        var current = revision.TrackedConfigs;
        if (recorded is null || recorded.Count == 0)
        {
            return current.Count > 0;
        }

        if (recorded.Count != current.Count)
        {
            return true;
        }

        foreach (var (key, checksum) in current)
        {
            if (!recorded.TryGetValue(key, out var old) || old != checksum)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Either the pod template or a tracked config changed.</summary>
    public static bool IsNewRevision(CanaryStatus? status, TargetRevision revision) =>
        HasTargetChanged(status, revision) || HaveDependenciesChanged(status, revision);
}
