using System.Globalization;
using System.Text.Json.Nodes;

namespace Flagger.Testing.Storage;

/// <summary>The built-in kinds the embedded server serves, with kubectl's short names and table columns.</summary>
internal static class BuiltInResources
{
    private static readonly string[] All = ["all"];

    public static IEnumerable<ResourceType> Create()
    {
        yield return new("", "v1", "namespaces", "namespace", "Namespace", false)
        {
            ShortNames = ["ns"],
            HasStatus = true,
            Columns = [PrinterColumn.Path("Status", "string", ".status.phase"), PrinterColumn.Age],
        };
        yield return new("", "v1", "pods", "pod", "Pod", true)
        {
            ShortNames = ["po"],
            Categories = All,
            HasStatus = true,
            Columns =
            [
                new("Ready", "string", 0, (o, _) => PodReady(o)),
                PrinterColumn.Path("Status", "string", ".status.phase"),
                new("Restarts", "integer", 0, (o, _) => (o["status"]?["containerStatuses"] as JsonArray ?? []).Sum(c => Int(c?["restartCount"]))),
                PrinterColumn.Age,
                PrinterColumn.Path("IP", "string", ".status.podIP", priority: 1),
                PrinterColumn.Path("Node", "string", ".spec.nodeName", priority: 1),
            ],
        };
        yield return new("", "v1", "services", "service", "Service", true)
        {
            ShortNames = ["svc"],
            Categories = All,
            HasStatus = true,
            Columns =
            [
                PrinterColumn.Path("Type", "string", ".spec.type"),
                PrinterColumn.Path("Cluster-IP", "string", ".spec.clusterIP"),
                new("Port(s)", "string", 0, (o, _) => Ports(o)),
                PrinterColumn.Age,
            ],
        };
        yield return new("", "v1", "configmaps", "configmap", "ConfigMap", true)
        {
            ShortNames = ["cm"],
            Columns = [new("Data", "integer", 0, (o, _) => Count(o["data"]) + Count(o["binaryData"])), PrinterColumn.Age],
        };
        yield return new("", "v1", "secrets", "secret", "Secret", true)
        {
            Columns = [PrinterColumn.Path("Type", "string", ".type"), new("Data", "integer", 0, (o, _) => Count(o["data"])), PrinterColumn.Age],
        };
        yield return new("", "v1", "events", "event", "Event", true)
        {
            ShortNames = ["ev"],
            Columns =
            [
                PrinterColumn.Path("Type", "string", ".type"),
                PrinterColumn.Path("Reason", "string", ".reason"),
                new("Object", "string", 0, (o, _) => $"{o["involvedObject"]?["kind"]?.ToString().ToLowerInvariant()}/{o["involvedObject"]?["name"]}"),
                PrinterColumn.Path("Message", "string", ".message"),
            ],
        };
        yield return new("events.k8s.io", "v1", "events", "event", "Event", true) { ShortNames = ["ev"], SharedStorage = "events" };
        yield return new("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true) { ShortNames = ["sa"] };
        yield return new("", "v1", "endpoints", "endpoints", "Endpoints", true) { ShortNames = ["ep"] };
        yield return new("", "v1", "nodes", "node", "Node", false) { ShortNames = ["no"], HasStatus = true };
        yield return new("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true) { ShortNames = ["pvc"], HasStatus = true };

        yield return Workload("deployments", "deployment", "Deployment", ["deploy"]);
        yield return Workload("replicasets", "replicaset", "ReplicaSet", ["rs"]);
        yield return Workload("statefulsets", "statefulset", "StatefulSet", ["sts"]);
        yield return new("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true)
        {
            ShortNames = ["ds"],
            Categories = All,
            HasStatus = true,
            Columns =
            [
                PrinterColumn.Path("Desired", "integer", ".status.desiredNumberScheduled"),
                PrinterColumn.Path("Current", "integer", ".status.currentNumberScheduled"),
                PrinterColumn.Path("Ready", "integer", ".status.numberReady"),
                PrinterColumn.Path("Up-to-date", "integer", ".status.updatedNumberScheduled"),
                PrinterColumn.Path("Available", "integer", ".status.numberAvailable"),
                PrinterColumn.Age,
            ],
        };

        foreach (var version in new[] { "v2", "v1", "v2beta2", "v2beta1" })
        {
            yield return new("autoscaling", version, "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true)
            {
                ShortNames = ["hpa"],
                Categories = All,
                HasStatus = true,
                Preferred = version == "v2",
                Columns =
                [
                    new("Reference", "string", 0, (o, _) => $"{o["spec"]?["scaleTargetRef"]?["kind"]}/{o["spec"]?["scaleTargetRef"]?["name"]}"),
                    PrinterColumn.Path("MinPods", "integer", ".spec.minReplicas"),
                    PrinterColumn.Path("MaxPods", "integer", ".spec.maxReplicas"),
                    PrinterColumn.Path("Replicas", "integer", ".status.currentReplicas"),
                    PrinterColumn.Age,
                ],
            };
        }

        yield return new("coordination.k8s.io", "v1", "leases", "lease", "Lease", true)
        {
            Columns = [PrinterColumn.Path("Holder", "string", ".spec.holderIdentity"), PrinterColumn.Age],
        };
        yield return new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false)
        {
            ShortNames = ["crd", "crds"],
            HasStatus = true,
            Columns = [PrinterColumn.Path("Created At", "string", ".metadata.creationTimestamp")],
        };
        yield return new("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true) { ShortNames = ["ing"], HasStatus = true };
        yield return new("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true) { ShortNames = ["pdb"], HasStatus = true };
        foreach (var (plural, kind, namespaced) in new[]
                 {
                     ("roles", "Role", true), ("rolebindings", "RoleBinding", true),
                     ("clusterroles", "ClusterRole", false), ("clusterrolebindings", "ClusterRoleBinding", false),
                 })
        {
            yield return new("rbac.authorization.k8s.io", "v1", plural, kind.ToLowerInvariant(), kind, namespaced);
        }
    }

    private static ResourceType Workload(string plural, string singular, string kind, string[] shortNames) =>
        new("apps", "v1", plural, singular, kind, true)
        {
            ShortNames = shortNames,
            Categories = All,
            HasStatus = true,
            HasScale = true,
            Columns =
            [
                new("Ready", "string", 0, (o, _) => $"{Int(o["status"]?["readyReplicas"])}/{Int(o["spec"]?["replicas"] ?? 1)}"),
                PrinterColumn.Path("Up-to-date", "integer", ".status.updatedReplicas"),
                PrinterColumn.Path("Available", "integer", ".status.availableReplicas"),
                PrinterColumn.Age,
                new("Containers", "string", 1, (o, _) => Containers(o, "name")),
                new("Images", "string", 1, (o, _) => Containers(o, "image")),
            ],
        };

    private static int Int(JsonNode? node) => Meta.Int(node, 0);

    private static string PodReady(JsonObject o)
    {
        var statuses = o["status"]?["containerStatuses"] as JsonArray ?? [];
        var containers = o["spec"]?["containers"] as JsonArray ?? [];
        return $"{statuses.Count(s => s?["ready"]?.GetValueKind() == System.Text.Json.JsonValueKind.True)}/{containers.Count}";
    }

    private static int Count(JsonNode? node) => node is JsonObject o ? o.Count : 0;

    private static string Containers(JsonObject o, string field) =>
        o["spec"]?["template"]?["spec"]?["containers"] is JsonArray a ? string.Join(",", a.Select(c => c?[field]?.ToString())) : "";

    private static string Ports(JsonObject o)
    {
        if (o["spec"]?["ports"] is not JsonArray ports || ports.Count == 0)
        {
            return "<none>";
        }

        return string.Join(",", ports.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p?["port"]}/{p?["protocol"] ?? "TCP"}")));
    }
}
