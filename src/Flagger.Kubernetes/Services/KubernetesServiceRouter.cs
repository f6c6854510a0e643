using System.Text.Json.Nodes;
using Flagger.Kubernetes.Caches;
using Flagger.Model;
using Flagger.Routing;
using Flagger.Targets;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;
using KubeIntOrString = k8s.Models.IntOrString;

namespace Flagger.Kubernetes.Services;

/// <summary>
/// The apex, <c>-primary</c> and <c>-canary</c> ClusterIP Services (§1.14). Each tick compares the cached Service
/// with the desired one and writes only on drift; an existing user Service is adopted by rewriting its selector.
/// </summary>
internal sealed class KubernetesServiceRouter(IKubernetes client, ClusterCache cache, IOptions<KubernetesOptions> options) : IServiceRouter
{
    private const string LastApplied = "kubectl.kubernetes.io/last-applied-configuration";

    // A Service found in sync with a canary and its target stays in sync until one of the three cached instances is
    // replaced (the watch cache replaces objects, never changes them): an idle tick then skips building the desired
    // Service and serialising both to compare them.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<V1Service, InSync> inSync = [];

    public async Task InitializeAsync(Canary canary, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        var name = canary.GetServiceName();
        var (canaryName, primaryName) = (name + "-canary", name + "-primary");
        if (IsInSync(canary, canaryName) && IsInSync(canary, primaryName))
        {
            return;
        }

        var (label, value, ports, target) = await TargetAsync(canary, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(canary, target, canaryName, label, value, ports, canary.Spec.Service?.Canary, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(canary, target, primaryName, label, value + "-primary", ports, canary.Spec.Service?.Primary, cancellationToken).ConfigureAwait(false);
    }

    public async Task ReconcileAsync(Canary canary, CancellationToken cancellationToken)
    {
        await cache.SyncAsync(cancellationToken).ConfigureAwait(false);
        if (IsInSync(canary, canary.GetServiceName()))
        {
            return;
        }

        var (label, value, ports, target) = await TargetAsync(canary, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(canary, target, canary.GetServiceName(), label, value + "-primary", ports, canary.Spec.Service?.Apex, cancellationToken).ConfigureAwait(false);
    }

    public async Task FinalizeAsync(Canary canary, CancellationToken cancellationToken)
    {
        var (label, value, _, _) = await TargetAsync(canary, cancellationToken).ConfigureAwait(false);
        if (cache.Services.Get(canary.Namespace, canary.GetServiceName()) is not { } apex)
        {
            return;
        }

        // Give the user's Service back the selector they applied, or point it at the target's pods.
        var selector = new Dictionary<string, string> { [label] = value };
        if (apex.Metadata.Annotations?.TryGetValue(LastApplied, out var applied) == true
            && JsonNode.Parse(applied)?["spec"]?["selector"] is JsonObject original)
        {
            selector = original.ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? string.Empty, StringComparer.Ordinal);
        }

        var desired = Ownership.Clone(apex);
        desired.Spec.Selector = selector;
        await WriteAsync(canary.Namespace, desired, exists: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(string Label, string Value, List<V1ServicePort> Ports, object Target)> TargetAsync(Canary canary, CancellationToken ct)
    {
        await cache.SyncAsync(ct).ConfigureAwait(false);
        var kind = canary.GetTargetKind();
        var id = $"{canary.GetTargetName()}.{canary.Namespace}";
        var (selector, template, target) = kind == "DaemonSet"
            ? cache.DaemonSets.Get(canary.Namespace, canary.GetTargetName()) is { } ds ? (ds.Spec.Selector, ds.Spec.Template, (object)ds) : throw NotFound(kind, canary)
            : cache.Deployments.Get(canary.Namespace, canary.GetTargetName()) is { } d ? (d.Spec.Selector, d.Spec.Template, d) : throw NotFound(kind, canary);
        var (label, value) = Ownership.SelectorLabel(selector, options.Value.SelectorLabels, kind, id);
        return (label, value, Ports(canary.Spec.Service ?? new CanaryService(), template?.Spec), target);
    }

    private object? CachedTarget(Canary canary) => canary.GetTargetKind() == "DaemonSet"
        ? cache.DaemonSets.Get(canary.Namespace, canary.GetTargetName())
        : cache.Deployments.Get(canary.Namespace, canary.GetTargetName());

    private bool IsInSync(Canary canary, string name) =>
        cache.Services.Get(canary.Namespace, name) is { } existing
        && inSync.TryGetValue(existing, out var seen)
        && ReferenceEquals(seen.Canary, canary)
        && CachedTarget(canary) is { } target
        && ReferenceEquals(seen.Target, target);

    private static TargetNotFoundException NotFound(string kind, Canary canary) =>
        new(kind, canary.GetTargetName(), canary.Namespace, $"{kind.ToLowerInvariant()} {canary.GetTargetName()}.{canary.Namespace} get query error: not found");

    private static List<V1ServicePort> Ports(CanaryService service, V1PodSpec? pod)
    {
        var main = new V1ServicePort
        {
            Name = string.IsNullOrEmpty(service.PortName) ? "http" : service.PortName,
            Port = service.Port,
            Protocol = "TCP",
            TargetPort = service.TargetPort switch
            {
                { IntValue: { } i } => (KubeIntOrString)i,
                { StringValue: { Length: > 0 } s } => (KubeIntOrString)s,
                _ => (KubeIntOrString)service.Port,
            },
            AppProtocol = service.AppProtocol,
        };
        var ports = new List<V1ServicePort> { main };
        if (!service.PortDiscovery)
        {
            return ports;
        }

        // The main port's container port is already served: with a target port, the port it names (by number or
        // by name), otherwise the container port equal to the Service port. Mesh proxies' ports are not the app's.
        bool IsMain(V1ContainerPort port) => service.TargetPort switch
        {
            { IntValue: { } i and not 0 } => port.ContainerPort == i,
            { StringValue: { Length: > 0 } s } when s != "0" => port.Name == s,
            _ => port.ContainerPort == service.Port,
        };

        foreach (var container in pod?.Containers ?? [])
        {
            if (container.Name is "istio-proxy" or "envoy")
            {
                continue;
            }

            var index = -1;
            foreach (var port in container.Ports ?? [])
            {
                index++;
                var portName = string.IsNullOrEmpty(port.Name) ? $"tcp-{container.Name}-{index}" : port.Name;
                if (IsMain(port) || ports.Any(p => p.Port == port.ContainerPort || p.Name == portName))
                {
                    continue;
                }

                ports.Add(new V1ServicePort
                {
                    Name = portName,
                    Port = port.ContainerPort,
                    Protocol = port.Protocol ?? "TCP",
                    TargetPort = (KubeIntOrString)port.ContainerPort,
                });
            }
        }

        return ports;
    }

    private async Task EnsureAsync(Canary canary, object target, string name, string label, string selectorValue, List<V1ServicePort> ports, CustomMetadata? metadata, CancellationToken ct)
    {
        var existing = cache.Services.Get(canary.Namespace, name);
        var desired = existing is null ? new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = canary.Namespace, OwnerReferences = [CanaryOwnership.ControllerReference(canary)] },
            Spec = new V1ServiceSpec
            {
                Type = "ClusterIP",
                ClusterIP = canary.Spec.Service?.Headless == true ? "None" : null,
                TrafficDistribution = canary.Spec.Service?.TrafficDistribution,
            },
        } : Ownership.Clone(existing);
        desired.Metadata.Labels = new Dictionary<string, string>(desired.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal) { [label] = name };
        foreach (var (k, v) in metadata?.Labels ?? new Dictionary<string, string>())
        {
            desired.Metadata.Labels[k] = v;
        }

        desired.Metadata.Annotations = new Dictionary<string, string>(desired.Metadata.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (k, v) in metadata?.Annotations ?? new Dictionary<string, string>())
        {
            desired.Metadata.Annotations[k] = v;
        }

        // Flux must not revert what Flagger writes: kustomize-controller skips the Service, helm-controller's drift
        // detection ignores it.
        foreach (var (k, v) in CanaryOwnership.GitOpsAnnotations)
        {
            desired.Metadata.Annotations[k] = v;
        }

        desired.Spec.Selector = new Dictionary<string, string> { [label] = selectorValue };
        desired.Spec.Ports = ports.Select(p => Ownership.Clone(p)).ToList();
        foreach (var port in desired.Spec.Ports)
        {
            // Node ports of an existing Service are kept, or clients using them would break.
            port.NodePort = existing?.Spec?.Ports?.FirstOrDefault(e => e.Port == port.Port)?.NodePort;
        }

        if (existing is not null && KubernetesJson.Serialize(desired) == KubernetesJson.Serialize(existing))
        {
            inSync.AddOrUpdate(existing, new InSync(canary, target));
            return;
        }

        await WriteAsync(canary.Namespace, desired, existing is not null, ct).ConfigureAwait(false);
    }

    private async Task WriteAsync(string @namespace, V1Service desired, bool exists, CancellationToken ct)
    {
        try
        {
            var stored = exists
                ? await client.CoreV1.ReplaceNamespacedServiceAsync(desired, desired.Metadata.Name, @namespace, cancellationToken: ct).ConfigureAwait(false)
                : await client.CoreV1.CreateNamespacedServiceAsync(desired, @namespace, cancellationToken: ct).ConfigureAwait(false);
            cache.Services.Upsert(stored);
        }
        catch (HttpOperationException e) when (RetryOnConflict.IsConflict(e))
        {
            // The cache was behind a change by someone else; the watch brings it and the next tick corrects drift.
        }
    }

    private sealed record InSync(Canary Canary, object Target);
}
