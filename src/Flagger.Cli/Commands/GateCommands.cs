using System.CommandLine;
using Flagger.Model;

namespace Flagger.Cli.Commands;

/// <summary>
/// <c>promote</c>, <c>pause</c>, <c>resume</c>, <c>abort</c> and <c>retry</c>: each writes one of the
/// <see cref="GateAnnotations"/> on the Canary, which the operator reads at its next tick.
/// </summary>
internal static class GateCommands
{
    private static readonly CanaryPhase[] Running = [CanaryPhase.Progressing, CanaryPhase.Waiting, CanaryPhase.WaitingPromotion];

    public static IEnumerable<Command> Build(CliConsole console)
    {
        yield return Gate(console, "promote", "Open the confirm-promotion gate for the revision under analysis", async (kube, canary, ct) =>
        {
            var revision = RunningRevision(canary, "promote");
            await kube.Client.AnnotateCanaryAsync(kube.Namespace, canary.Name, Set(GateAnnotations.Promote, revision), ct).ConfigureAwait(false);
            return $"canary {canary.Name}.{canary.Namespace}: confirm-promotion gate opened for revision {revision} ({GateAnnotations.Promote})";
        });
        yield return Gate(console, "pause", "Close the confirm-rollout gate: a new revision waits, a running analysis holds its weight", async (kube, canary, ct) =>
        {
            await kube.Client.AnnotateCanaryAsync(kube.Namespace, canary.Name, Set(GateAnnotations.Rollout, GateAnnotations.Closed), ct).ConfigureAwait(false);
            return $"canary {canary.Name}.{canary.Namespace}: paused, confirm-rollout gate closed ({GateAnnotations.Rollout}={GateAnnotations.Closed})";
        });
        yield return Gate(console, "resume", "Open the confirm-rollout gate closed by pause", async (kube, canary, ct) =>
        {
            await kube.Client.AnnotateCanaryAsync(kube.Namespace, canary.Name, Set(GateAnnotations.Rollout, null), ct).ConfigureAwait(false);
            return $"canary {canary.Name}.{canary.Namespace}: resumed, confirm-rollout gate opened ({GateAnnotations.Rollout} removed)";
        });
        yield return Gate(console, "abort", "Roll back the revision under analysis", async (kube, canary, ct) =>
        {
            var revision = RunningRevision(canary, "abort");
            await kube.Client.AnnotateCanaryAsync(kube.Namespace, canary.Name, Set(GateAnnotations.Abort, revision), ct).ConfigureAwait(false);
            return $"canary {canary.Name}.{canary.Namespace}: rollback of revision {revision} requested ({GateAnnotations.Abort})";
        });
        yield return Gate(console, "retry", "Run the analysis of a Failed canary again on the same revision", async (kube, canary, ct) =>
        {
            var failure = GateAnnotations.FailureOf(canary.Status)
                ?? throw new CommandFailedException($"canary {canary.Name}.{canary.Namespace} is {canary.Status?.Phase?.ToString() ?? "not initialised"}: only a Failed canary can be retried");
            await kube.Client.AnnotateCanaryAsync(kube.Namespace, canary.Name, Set(GateAnnotations.Retry, failure), ct).ConfigureAwait(false);
            return $"canary {canary.Name}.{canary.Namespace}: retry of the failure at {failure} requested ({GateAnnotations.Retry})";
        });
    }

    private static Command Gate(CliConsole console, string verb, string description, Func<KubeConnection, Canary, CancellationToken, Task<string>> act)
    {
        var name = new Argument<string>("NAME") { Description = "The canary's name" };
        var command = new Command(verb, description) { name };
        command.SetAction(async (parsed, ct) =>
        {
            using var kube = GlobalOptions.Connect(parsed);
            var canaryName = parsed.GetValue(name)!;
            var canary = await kube.Client.GetCanaryAsync(kube.Namespace, canaryName, ct).ConfigureAwait(false)
                ?? throw new CommandFailedException($"canary {canaryName} not found in namespace {kube.Namespace}");
            await console.Out.WriteLineAsync(await act(kube, canary, ct).ConfigureAwait(false)).ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }

    private static string RunningRevision(Canary canary, string verb) =>
        canary.Status?.Phase is { } phase && Running.Contains(phase) && GateAnnotations.RevisionOf(canary.Status) is { } revision
            ? revision
            : throw new CommandFailedException(
                $"canary {canary.Name}.{canary.Namespace} is {canary.Status?.Phase?.ToString() ?? "not initialised"}: nothing to {verb} (a revision must be under analysis: Progressing, Waiting or WaitingPromotion)");

    private static Dictionary<string, string?> Set(string key, string? value) => new(StringComparer.Ordinal) { [key] = value };
}
