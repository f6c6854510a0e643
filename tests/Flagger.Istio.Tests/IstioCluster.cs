using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Kubernetes.Caches;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;

[assembly: AssemblyFixture(typeof(Flagger.Istio.Tests.IstioCluster))]

namespace Flagger.Istio.Tests;

/// <summary>One embedded API server (with Istio's and Flagger's CRDs) for the whole run; each test uses its own namespace.</summary>
public sealed class IstioCluster : IAsyncLifetime
{
    public EmbeddedCluster Cluster { get; private set; } = null!;

    public IKubernetes Client { get; private set; } = null!;

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { SimulateControllers = false }, CancellationToken.None);
        Client = Cluster.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }

    /// <summary>Creates <paramref name="namespace"/> and the Canary in it, and returns the canary with the uid the server gave it.</summary>
    public async Task<Canary> ApplyAsync(Canary canary)
    {
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = canary.Namespace } }, cancellationToken: Ct);
        // v1beta1 requires spec.analysis; the walkthrough's v1alpha3 spelling is canaryAnalysis.
        var spec = canary.Spec with { Analysis = canary.Spec.GetAnalysis(), CanaryAnalysis = null };
        var body = JsonNode.Parse(FlaggerJson.Serialize(canary with { ApiVersion = Canary.CurrentApiVersion, Spec = spec }))!;
        var created = (JsonElement)await Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "flagger.app", "v1beta1", canary.Namespace, "canaries", cancellationToken: Ct);
        return canary with { Metadata = canary.Metadata with { Uid = created.GetProperty("metadata").GetProperty("uid").GetString() } };
    }

    /// <summary>The Istio router as <c>AddIstio</c> registers it, talking to this cluster.</summary>
    /// <param name="configure">Adjusts the Istio options.</param>
    /// <param name="informers">The informers to use instead of those on the system clock (a fake wall clock).</param>
    public ServiceProvider Services(Action<IstioRouterOptions>? configure = null, CustomObjectInformers? informers = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(Client);
        if (informers is not null)
        {
            services.AddSingleton(informers);
        }

        services.AddFlaggerEngine().AddIstio(configure);
        return services.BuildServiceProvider();
    }

    public Task<JsonNode?> GetAsync(string plural, string @namespace, string name, string version = "v1beta1") =>
        GetAsync(Client, plural, @namespace, name, version);

    public static async Task<JsonNode?> GetAsync(IKubernetes client, string plural, string @namespace, string name, string version = "v1beta1")
    {
        var element = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync("networking.istio.io", version, @namespace, plural, name, Ct);
        return JsonNode.Parse(element.GetRawText());
    }

    /// <summary>The VirtualService and both DestinationRules without server-assigned fields, indented, for a snapshot.</summary>
    public async Task<string> SnapshotAsync(Canary canary, string version = "v1beta1")
    {
        var service = canary.GetServiceName();
        var objects = new JsonArray(
            Scrub(await GetAsync("virtualservices", canary.Namespace, service, version)),
            Scrub(await GetAsync("destinationrules", canary.Namespace, $"{service}-primary", version)),
            Scrub(await GetAsync("destinationrules", canary.Namespace, $"{service}-canary", version)));
        return objects.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonNode? Scrub(JsonNode? node)
    {
        if (node?["metadata"] is JsonObject metadata)
        {
            foreach (var field in new[] { "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields" })
            {
                metadata.Remove(field);
            }

            foreach (var owner in metadata["ownerReferences"]?.AsArray().OfType<JsonObject>() ?? [])
            {
                owner["uid"] = "canary-uid";
            }
        }

        return node;
    }
}
