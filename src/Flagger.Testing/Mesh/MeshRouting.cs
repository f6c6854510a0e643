using System.Globalization;
using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Mesh;

/// <summary>A workload that receives a share of a flow's requests.</summary>
internal sealed record Destination(string Namespace, string Workload, double Share, JsonObject? Template);

/// <summary>
/// Where a request to an in-cluster host lands, read from the cluster's objects as DNS, kube-proxy and Istio's
/// sidecars would: a VirtualService listing the host splits it by its route weights, a Service sends it to the
/// ready pods of the workload its selector matches.
/// </summary>
internal sealed class MeshRouting(ObjectStore store)
{
    private const string ClusterDomain = ".svc.cluster.local";

    /// <summary>The Service a host names (<c>name</c>, <c>name.ns</c>, <c>name.ns.svc.cluster.local</c>), or null when it does not exist.</summary>
    public (string Namespace, string Name)? ResolveService(string host, string defaultNamespace)
    {
        var (name, ns) = Split(host, defaultNamespace);
        var services = store.Registry.Find("", "v1", "services")!;
        return store.TryGet(services, ns, name) is null ? null : (ns, name);
    }

    /// <summary>
    /// The workloads a request to <paramref name="host"/> reaches right now, with their shares (summing to 1 or less,
    /// plus the workloads a Gateway mirrors it to).
    /// </summary>
    public IReadOnlyList<Destination> Route(string host, string defaultNamespace, MeshRequest request, GatewayRequest? gateway = null)
    {
        var (name, ns) = Split(host, defaultNamespace);
        if (GatewayRouting.Route(store, ns, name, gateway ?? new GatewayRequest(null, request.Path, request.Method, request.Headers)) is { } routed)
        {
            return [.. routed.Backends.Select(b => ServiceWorkload(b.Namespace, b.Service, b.Share))
                .Concat(routed.Mirrors.Select(m => ServiceWorkload(m.Namespace, m.Service, 1)))
                .OfType<Destination>()];
        }

        var weights = VirtualServiceWeights(ns, name, request);
        if (weights is null)
        {
            return ServiceWorkload(ns, name, 1) is { } only ? [only] : [];
        }

        var total = weights.Sum(w => w.Weight);
        if (total <= 0)
        {
            return [];
        }

        return [.. weights.Where(w => w.Weight > 0)
            .Select(w => ServiceWorkload(Split(w.Host, ns).Namespace, Split(w.Host, ns).Name, w.Weight / total))
            .OfType<Destination>()];
    }

    private List<(string Host, double Weight)>? VirtualServiceWeights(string ns, string name, MeshRequest request)
    {
        var type = store.Registry.Find("networking.istio.io", "v1beta1", "virtualservices");
        if (type is null)
        {
            return null;
        }

        foreach (var vs in store.List(type, ns, Selector.Everything, Selector.Everything).Items)
        {
            var hosts = (vs["spec"]?["hosts"] as JsonArray ?? []).Select(h => Meta.Str(h)).ToList();
            if (!hosts.Any(h => h is not null && Split(h, ns) == (name, ns)))
            {
                continue;
            }

            // The first HTTP route whose match rules take the request (VirtualServiceMatch.cs).
            var route = VirtualServiceMatch.Select(vs["spec"]?["http"] as JsonArray, request)?["route"] as JsonArray;
            if (route is null || route.Count == 0)
            {
                continue;
            }

            return [.. route.Select(r => (
                Meta.Str(r?["destination"]?["host"]) ?? "",
                route.Count == 1 && r?["weight"] is null ? 100.0 : Convert.ToDouble(Meta.Long(r?["weight"]) ?? 0, CultureInfo.InvariantCulture)))];
        }

        return null;
    }

    private Destination? ServiceWorkload(string ns, string name, double share)
    {
        var service = store.TryGet(store.Registry.Find("", "v1", "services")!, ns, name);
        if (service?["spec"]?["selector"] is not JsonObject selector || selector.Count == 0)
        {
            return null;
        }

        // A Deployment's ready pods are counted in readyReplicas, a DaemonSet's in numberReady.
        foreach (var (resource, ready) in new[] { ("deployments", "readyReplicas"), ("daemonsets", "numberReady") })
        {
            var kind = store.Registry.Find("apps", "v1", resource)!;
            foreach (var workload in store.List(kind, ns, Selector.Everything, Selector.Everything).Items)
            {
                var template = workload["spec"]?["template"] as JsonObject;
                var labels = template?["metadata"]?["labels"] as JsonObject;
                if (labels is null || !selector.All(s => Meta.Str(labels[s.Key]) == Meta.Str(s.Value)))
                {
                    continue;
                }

                // Requests to a Service without ready endpoints never reach a workload's sidecar.
                return Meta.Int(workload["status"]?[ready], 0) > 0
                    ? new Destination(ns, Meta.Name(workload), share, template)
                    : null;
            }
        }

        return null;
    }

    private static (string Name, string Namespace) Split(string host, string defaultNamespace)
    {
        host = host.Trim().TrimEnd('.');
        if (host.EndsWith(ClusterDomain, StringComparison.Ordinal))
        {
            host = host[..^ClusterDomain.Length];
        }

        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? (host, defaultNamespace) : (host[..dot], host[(dot + 1)..]);
    }
}
