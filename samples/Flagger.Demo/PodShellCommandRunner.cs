using Flagger.LoadTester;
using Flagger.Testing;
using k8s;

namespace Flagger.Demo;

/// <summary>
/// The load tester's commands run in its pod's shell on the embedded cluster, as Flagger's load tester runs them
/// with <c>sh -c</c> in its container: <c>hey</c> sends traffic through the simulated mesh, <c>curl</c> and
/// <c>grpc_health_probe</c> reach the simulated pods, pipes and exit codes behave as a shell's. A command the pods'
/// shell lacks fails with <c>sh: NAME: command not found</c>.
/// </summary>
internal sealed class PodShellCommandRunner(EmbeddedCluster cluster, IKubernetes client) : ICommandRunner
{
    /// <summary>The load tester's labels in the walkthrough's and Flagger's e2e manifests.</summary>
    private const string Selector = "app=flagger-loadtester";

    public async Task<(int ExitCode, string Output)> RunAsync(string command, CancellationToken cancellationToken)
    {
        // The first running load tester pod; before any is deployed, a pod of that name in the walkthrough's namespace.
        var pods = await client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: Selector, cancellationToken: cancellationToken).ConfigureAwait(false);
        var pod = pods.Items.FirstOrDefault(p => p.Status?.Phase == "Running" && p.Metadata.DeletionTimestamp is null);
        var result = await cluster.ExecAsync(pod?.Metadata.NamespaceProperty ?? "test", pod?.Metadata.Name ?? "flagger-loadtester", command, cancellationToken).ConfigureAwait(false);
        return (result.ExitCode, result.Stdout + result.Stderr);
    }
}
