using System.Text.Json.Nodes;
using System.Threading.Channels;
using Flagger.Testing.Mesh;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Simulation;

/// <summary>
/// A Gateway API implementation's controller, as far as the objects go: every Gateway gets a Service in front of its
/// proxies (<c>&lt;gateway&gt;-&lt;gatewayClassName&gt;</c>, labelled <c>gateway.networking.k8s.io/gateway-name</c>, one
/// port per listener, as Istio names it) and Accepted/Programmed conditions; every HTTPRoute attached to an existing
/// Gateway is reported Accepted by it for its current generation. Traffic itself is <see cref="GatewayRouting"/>'s.
/// </summary>
internal sealed class GatewayController(ObjectStore store) : IAsyncDisposable
{
    public const string ControllerName = "flagger.app/simulated-gateway";

    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>();
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public void Start()
    {
        store.Observe(change =>
        {
            if (change.Resource.Group == GatewayApi.Group && change.Type != "DELETED" && change.Resource.Kind is "Gateway" or "HTTPRoute")
            {
                _queue.Writer.TryWrite(change);
            }
        });
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Completes once every change queued so far, and the changes its own writes caused, are handled.</summary>
    public async Task SettleAsync(CancellationToken cancellationToken)
    {
        for (var round = 0; round < 100; round++)
        {
            var marker = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _queue.Writer.TryWrite(marker);
            if (!await marker.Task.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var handled = false;
        await foreach (var item in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
        {
            if (item is TaskCompletionSource<bool> marker)
            {
                // True: something was handled since the last marker, so its writes may have queued more.
                marker.TrySetResult(handled || _queue.Reader.Count > 0);
                handled = false;
                continue;
            }

            handled = true;
            var change = (StoreChange)item;
            try
            {
                var current = store.TryGet(change.Resource, Meta.Namespace(change.Object), Meta.Name(change.Object));
                if (current is null || Meta.IsDeleting(current))
                {
                    continue;
                }

                if (change.Resource.Kind == "Gateway")
                {
                    ReconcileGateway(change.Resource, current);
                    foreach (var route in store.List(store.Registry.Find(GatewayApi.Group, "v1", "httproutes")!, null, Selector.Everything, Selector.Everything).Items)
                    {
                        ReconcileRoute(route);
                    }
                }
                else
                {
                    ReconcileRoute(current);
                }
            }
            catch (Api.ApiException)
            {
                // The object changed or vanished under us; the change that caused it is queued and handled next.
            }
        }
    }

    private void ReconcileGateway(ResourceType gateways, JsonObject gateway)
    {
        var ns = Meta.Namespace(gateway);
        var name = Meta.Name(gateway);
        var serviceName = $"{name}-{Meta.Str(gateway["spec"]?["gatewayClassName"]) ?? "gateway"}";
        var services = store.Registry.Find("", "v1", "services")!;
        var ports = new JsonArray([.. (gateway["spec"]?["listeners"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(l => (JsonNode?)new JsonObject { ["name"] = Meta.Str(l["name"]) ?? "http", ["port"] = Meta.Int(l["port"], 80), ["protocol"] = "TCP" })]);
        if (store.TryGet(services, ns, serviceName) is null)
        {
            store.Create(services, ns, new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["name"] = serviceName,
                    ["namespace"] = ns,
                    ["labels"] = new JsonObject { [GatewayApi.GatewayNameLabel] = name },
                    ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = $"{GatewayApi.Group}/v1", ["kind"] = "Gateway", ["name"] = name, ["uid"] = Meta.Uid(gateway), ["controller"] = true }),
                },
                ["spec"] = new JsonObject
                {
                    ["selector"] = new JsonObject { [GatewayApi.GatewayNameLabel] = name },
                    ["ports"] = ports.Count > 0 ? ports : new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80, ["protocol"] = "TCP" }),
                },
            }, dryRun: false);
        }

        var generation = Meta.Generation(gateway);
        var status = new JsonObject
        {
            ["addresses"] = new JsonArray(new JsonObject { ["type"] = "Hostname", ["value"] = $"{serviceName}.{ns}.svc.cluster.local" }),
            ["conditions"] = new JsonArray(Condition("Accepted", generation, gateway), Condition("Programmed", generation, gateway)),
        };
        WriteStatus(gateways, gateway, status);
    }

    private void ReconcileRoute(JsonObject route)
    {
        var routes = store.Registry.Find(GatewayApi.Group, "v1", "httproutes")!;
        var gateways = store.Registry.Find(GatewayApi.Group, "v1", "gateways")!;
        var ns = Meta.Namespace(route) ?? "default";
        var generation = Meta.Generation(route);
        var parents = new JsonArray();
        foreach (var parentRef in (route["spec"]?["parentRefs"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var gatewayNamespace = Meta.Str(parentRef["namespace"]) ?? ns;
            if (Meta.Str(parentRef["kind"]) is not (null or "Gateway") || store.TryGet(gateways, gatewayNamespace, Meta.Str(parentRef["name"]) ?? string.Empty) is null)
            {
                continue; // not one of ours: another controller would report it
            }

            var reported = parentRef.DeepClone().AsObject();
            reported["group"] ??= GatewayApi.Group;
            reported["kind"] ??= "Gateway";
            parents.Add(new JsonObject
            {
                ["parentRef"] = reported,
                ["controllerName"] = ControllerName,
                ["conditions"] = new JsonArray(Condition("Accepted", generation, route), Condition("ResolvedRefs", generation, route)),
            });
        }

        WriteStatus(routes, route, new JsonObject { ["parents"] = parents });
    }

    private void WriteStatus(ResourceType type, JsonObject obj, JsonObject status)
    {
        // Keep the transition times already reported, so an unchanged status is not rewritten (and not re-queued).
        if (JsonNode.DeepEquals(Timeless(obj["status"]), Timeless(status)))
        {
            return;
        }

        store.Patch(type, Meta.Namespace(obj), Meta.Name(obj), o =>
        {
            o["status"] = status;
            return o;
        }, statusOnly: true, dryRun: false);
    }

    private static JsonNode? Timeless(JsonNode? status)
    {
        var copy = status?.DeepClone();
        foreach (var condition in Conditions(copy))
        {
            condition.Remove("lastTransitionTime");
        }

        return copy;
    }

    private static IEnumerable<JsonObject> Conditions(JsonNode? status) =>
        (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Concat((status?["parents"] as JsonArray ?? []).OfType<JsonObject>().SelectMany(p => (p["conditions"] as JsonArray ?? []).OfType<JsonObject>()));

    private JsonObject Condition(string type, long generation, JsonObject obj) => new()
    {
        ["type"] = type,
        ["status"] = "True",
        ["reason"] = type,
        ["message"] = string.Empty,
        ["observedGeneration"] = generation,
        ["lastTransitionTime"] = Meta.Str(obj["metadata"]?["creationTimestamp"]) ?? Meta.Timestamp(store.Time.GetUtcNow()),
    };
}
