using System.Globalization;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace Flagger.Demo;

/// <summary>
/// Plays the walkthrough on a running <see cref="DemoEnvironment"/>: the manifests applied in its order, a new image
/// promoted, then a revision answering 40% of requests with HTTP 500 rolled back.
/// </summary>
internal sealed class WalkthroughScript(DemoEnvironment environment, string provider = "istio", string judge = "threshold")
{
    // --judge sequential: both metrics judged against the primary; a step whose comparisons cannot tell yet is held
    // for two intervals, then advances (maxInconclusive), since a healthy canary answers no errors to count. The load
    // test sends to the apex Service, so that the mesh splits it and both sides answer requests to compare.
    private const string SequentialPatch = """{"spec":{"canaryAnalysis":{"maxInconclusive":2,"metrics":[{"name":"request-success-rate","interval":"1m","comparison":{"method":"sequential"}},{"name":"request-duration","interval":"1m","comparison":{"method":"sequential","margin":"10%"}}],"webhooks":[{"name":"load-test","url":"http://flagger-loadtester.test/","timeout":"5s","metadata":{"cmd":"hey -z 1m -q 10 -c 2 http://podinfo.test:9898/"}}]}}}""";

    private const string FaultyPatch = """{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"quay.io/stefanprodan/podinfo:1.4.2","env":[{"name":"FLAGGER_SIM_ERROR_PERCENT","value":"40"}]}]}}}}""";

    private static readonly TimeSpan PhaseDeadline = TimeSpan.FromMinutes(40);

    private DemoConsole Console => environment.Console;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var gatewayApi = provider.StartsWith("gatewayapi:", StringComparison.Ordinal);
        var through = gatewayApi ? "Gateway API (a Gateway and an HTTPRoute)" : "Istio";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Flagger for .NET: the {through} canary walkthrough on the embedded cluster (simulated time runs {environment.Time.Speed:0.#}x faster)"));
        Console.WriteLine();
        string[] files = gatewayApi
            ? ["namespaces/test.yaml", "gatewayapi/gateway.yaml", "canaries/deployment.yaml", "canaries/hpa.yaml", "loadtester/deployment.yaml", "loadtester/service.yaml", "gatewayapi/canary.yaml"]
            : ["namespaces/test.yaml", "canaries/deployment.yaml", "canaries/hpa.yaml", "loadtester/deployment.yaml", "loadtester/service.yaml", "canaries/canary.yaml"];
        foreach (var file in files)
        {
            Console.WriteLine($"$ kubectl apply -f ${{REPO}}/artifacts/{file}");
            // The artifact names gatewayapi:v1; --provider gatewayapi:v1beta1 runs the same canary on v1beta1 HTTPRoutes.
            var yaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "artifacts", file)).Replace("provider: gatewayapi:v1\n", $"provider: {provider}\n", StringComparison.Ordinal);
            foreach (var line in environment.Cluster.Apply(yaml, "test"))
            {
                Console.WriteLine(line);
            }
        }

        if (judge == "sequential")
        {
            Console.WriteLine();
            Console.WriteLine($"$ kubectl -n test patch canary/podinfo --type merge -p '{SequentialPatch}'");
            await environment.Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(SequentialPatch, V1Patch.PatchType.MergePatch), "flagger.app", "v1beta1", "test", "canaries", "podinfo", cancellationToken: cancellationToken).ConfigureAwait(false);
            Console.WriteLine("canary.flagger.app/podinfo patched");
        }

        Console.WriteLine();
        var initialized = await WaitForPhaseAsync("Initialized", cancellationToken).ConfigureAwait(false);

        await RunAsync("kubectl -n test set image deployment/podinfo podinfod=quay.io/stefanprodan/podinfo:1.4.1", """{"spec":{"template":{"spec":{"containers":[{"name":"podinfod","image":"quay.io/stefanprodan/podinfo:1.4.1"}]}}}}""", cancellationToken).ConfigureAwait(false);
        var promoted = await WaitForPhaseAsync("Succeeded", cancellationToken).ConfigureAwait(false);
        await PrintCanariesAsync(cancellationToken).ConfigureAwait(false);

        Console.WriteLine("# 1.4.2 answers 40% of requests with HTTP 500 (FLAGGER_SIM_ERROR_PERCENT)");
        await RunAsync($"kubectl -n test patch deployment/podinfo -p '{FaultyPatch}'", FaultyPatch, cancellationToken).ConfigureAwait(false);
        var rolledBack = await WaitForPhaseAsync("Failed", cancellationToken).ConfigureAwait(false);
        await PrintCanariesAsync(cancellationToken).ConfigureAwait(false);

        var primary = await environment.Client.AppsV1.ReadNamespacedDeploymentAsync("podinfo-primary", "test", cancellationToken: cancellationToken).ConfigureAwait(false);
        var container = primary.Spec.Template.Spec.Containers.Single();
        var primaryHealthy = container.Image == "quay.io/stefanprodan/podinfo:1.4.1" && container.Env?.Any(e => e.Name == "FLAGGER_SIM_ERROR_PERCENT") != true;
        var ok = initialized && promoted && rolledBack && primaryHealthy;
        Console.WriteLine(ok
            ? "Walkthrough complete: 1.4.1 promoted, 1.4.2 rolled back; podinfo-primary still runs 1.4.1."
            : $"Walkthrough did not end as expected (initialized {initialized}, promoted {promoted}, rolled back {rolledBack}, primary image {container.Image}).");
        return ok ? 0 : 1;
    }

    private async Task RunAsync(string command, string strategicMergePatch, CancellationToken cancellationToken)
    {
        Console.WriteLine();
        Console.WriteLine($"$ {command}");
        await environment.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(strategicMergePatch, V1Patch.PatchType.StrategicMergePatch), "podinfo", "test", cancellationToken: cancellationToken).ConfigureAwait(false);
        Console.WriteLine("deployment.apps/podinfo patched");
    }

    /// <summary>Waits (in simulated time) for the podinfo canary to reach <paramref name="phase"/>; false after the deadline.</summary>
    private async Task<bool> WaitForPhaseAsync(string phase, CancellationToken cancellationToken)
    {
        var deadline = environment.Time.GetUtcNow() + PhaseDeadline;
        while (environment.Time.GetUtcNow() < deadline)
        {
            var canary = await ReadCanariesAsync(cancellationToken).ConfigureAwait(false);
            if (canary.Any(c => c.Namespace == "test" && c.Name == "podinfo" && c.Phase == phase))
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromSeconds(2), environment.Time, cancellationToken).ConfigureAwait(false);
        }

        Console.WriteLine($"podinfo.test did not reach {phase} within {PhaseDeadline.TotalMinutes} simulated minutes");
        return false;
    }

    private async Task PrintCanariesAsync(CancellationToken cancellationToken)
    {
        Console.WriteLine();
        Console.WriteLine("$ kubectl get canaries --all-namespaces");
        Console.WriteLine($"{"NAMESPACE",-11} {"NAME",-9} {"STATUS",-12} {"WEIGHT",-7} LASTTRANSITIONTIME");
        foreach (var canary in await ReadCanariesAsync(cancellationToken).ConfigureAwait(false))
        {
            Console.WriteLine($"{canary.Namespace,-11} {canary.Name,-9} {canary.Phase,-12} {canary.Weight,-7} {canary.LastTransitionTime}");
        }

        Console.WriteLine();
    }

    private async Task<List<(string Namespace, string Name, string Phase, long Weight, string LastTransitionTime)>> ReadCanariesAsync(CancellationToken cancellationToken)
    {
        var list = (JsonElement)await environment.Client.CustomObjects.ListClusterCustomObjectAsync("flagger.app", "v1beta1", "canaries", cancellationToken: cancellationToken).ConfigureAwait(false);
        var result = new List<(string, string, string, long, string)>();
        foreach (var item in list.GetProperty("items").EnumerateArray())
        {
            var metadata = item.GetProperty("metadata");
            var status = item.TryGetProperty("status", out var s) ? s : default;
            string Text(string name) => status.ValueKind == JsonValueKind.Object && status.TryGetProperty(name, out var v) ? v.ToString() : string.Empty;
            result.Add((
                metadata.GetProperty("namespace").GetString()!,
                metadata.GetProperty("name").GetString()!,
                Text("phase"),
                long.TryParse(Text("canaryWeight"), CultureInfo.InvariantCulture, out var w) ? w : 0,
                DateTimeOffset.TryParse(Text("lastTransitionTime"), CultureInfo.InvariantCulture, out var at) ? at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : Text("lastTransitionTime")));
        }

        return result;
    }
}
