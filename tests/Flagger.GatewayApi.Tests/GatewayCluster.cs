using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Model;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;

[assembly: AssemblyFixture(typeof(Flagger.GatewayApi.Tests.GatewayCluster))]

namespace Flagger.GatewayApi.Tests;

/// <summary>One embedded API server (with the Gateway API's and Flagger's CRDs) for the whole run; each test uses its own namespace.</summary>
public sealed class GatewayCluster : IAsyncLifetime
{
    public const string Group = "gateway.networking.k8s.io";

    public EmbeddedCluster Cluster { get; private set; } = null!;

    public IKubernetes Client { get; private set; } = null!;

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { SimulateControllers = false, InstallIstioCrds = false }, CancellationToken.None);
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
        var body = JsonNode.Parse(FlaggerJson.Serialize(canary with { ApiVersion = Canary.CurrentApiVersion, Status = null }))!;
        var created = (JsonElement)await Client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "flagger.app", "v1beta1", canary.Namespace, "canaries", cancellationToken: Ct);
        return canary with { Metadata = canary.Metadata with { Uid = created.GetProperty("metadata").GetProperty("uid").GetString() } };
    }

    /// <summary>The routers as <c>AddGatewayApi</c> registers them, talking to this cluster.</summary>
    public ServiceProvider Services(Action<GatewayApiRouterOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(Client);
        services.AddFlaggerEngine().AddGatewayApi(configure);
        return services.BuildServiceProvider();
    }

    public static IMeshRouter Router(ServiceProvider services, string provider = FlaggerEngineBuilderGatewayApiExtensions.V1ProviderName) =>
        services.GetRequiredKeyedService<IMeshRouter>(provider);

    public async Task<JsonObject> GetRouteAsync(string @namespace, string name, string version = "v1")
    {
        var element = (JsonElement)await Client.CustomObjects.GetNamespacedCustomObjectAsync(Group, version, @namespace, "httproutes", name, Ct);
        return JsonNode.Parse(element.GetRawText())!.AsObject();
    }

    public async Task CreateRouteAsync(string @namespace, JsonObject route, string version = "v1")
    {
        using var document = JsonDocument.Parse(route.ToJsonString());
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(document.RootElement.Clone(), Group, version, @namespace, "httproutes", cancellationToken: Ct);
    }

    public async Task ReplaceRouteAsync(JsonObject route, string version = "v1")
    {
        using var document = JsonDocument.Parse(route.ToJsonString());
        var metadata = route["metadata"]!;
        await Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(
            document.RootElement.Clone(), Group, version, metadata["namespace"]!.GetValue<string>(), "httproutes", metadata["name"]!.GetValue<string>(), cancellationToken: Ct);
    }

    /// <summary>The HTTPRoute without server-assigned fields, indented, for a snapshot.</summary>
    public async Task<string> SnapshotAsync(Canary canary, string version = "v1")
    {
        var route = await GetRouteAsync(canary.Namespace, canary.GetServiceName(), version);
        if (route["metadata"] is JsonObject metadata)
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

        return route.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
