using Flagger.Model;

namespace Flagger.Cli.Commands;

/// <summary>
/// When <c>--exit-on-complete</c> ends a watch: once every canary seen in progress during the watch (Progressing,
/// Waiting, WaitingPromotion, Promoting or Finalising) has reached Succeeded or Failed. A canary that is already
/// Succeeded when the watch starts is the previous release, not this one, so it does not end the watch.
/// </summary>
internal sealed class CompletionTracker
{
    private readonly HashSet<(string, string)> started = [];

    /// <summary>Null while the watch goes on; otherwise the exit code: 0 when all succeeded, 1 when any failed.</summary>
    public int? Observe(IReadOnlyList<Canary> canaries)
    {
        foreach (var canary in canaries)
        {
            if (canary.Status?.Phase is CanaryPhase.Progressing or CanaryPhase.Waiting or CanaryPhase.WaitingPromotion or CanaryPhase.Promoting or CanaryPhase.Finalising)
            {
                started.Add((canary.Namespace, canary.Name));
            }
        }

        var watched = canaries.Where(c => started.Contains((c.Namespace, c.Name))).ToList();
        if (watched.Count == 0 || watched.Any(c => c.Status?.Phase is not (CanaryPhase.Succeeded or CanaryPhase.Failed)))
        {
            return null;
        }

        return watched.Any(c => c.Status?.Phase == CanaryPhase.Failed) ? CliApp.Failed : CliApp.Ok;
    }
}
