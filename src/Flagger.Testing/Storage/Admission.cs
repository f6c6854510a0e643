using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Flagger.Testing.Api;

namespace Flagger.Testing.Storage;

/// <summary>Defaulting and validation the real API server applies on write, for the kinds tests depend on.</summary>
internal sealed partial class Admission(ObjectStore store, ResourceRegistry registry, TimeProvider time)
{
    private int _nextClusterIp = 10;

    public void Admit(ResourceType type, JsonObject obj, JsonObject? previous)
    {
        var name = Meta.Name(obj);
        if (name.Length == 0)
        {
            throw ApiException.Invalid(type.Kind, type.Group, name, [("metadata.name", "Required value: name or generateName is required")]);
        }

        if (name.Length > 253 || !DnsSubdomain().IsMatch(name))
        {
            throw ApiException.Invalid(type.Kind, type.Group, name,
                [("metadata.name", $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")]);
        }

        if (NameRules.Check(type, obj) is { Count: > 0 } broken)
        {
            throw ApiException.Invalid(type.Kind, type.Group, name, broken);
        }

        if (type.IsCustom && type.Schema is { } schema)
        {
            var problems = SchemaValidator.Validate(schema, obj);
            if (previous is not null && problems.Count > 0)
            {
                // Validation ratcheting (on by default since Kubernetes 1.30): an update may keep a problem the
                // stored object already had. Here that matters because versions share storage: a v1alpha3
                // Canary without spec.analysis must stay updatable (labels, finalizers) through v1beta1.
                var strict = SchemaValidator.Strict;
                SchemaValidator.Strict = false;
                var existing = SchemaValidator.Validate(schema, (JsonObject)previous.DeepClone());
                SchemaValidator.Strict = strict;
                problems.RemoveAll(existing.Contains);
            }

            if (problems.Count > 0)
            {
                throw ApiException.Invalid(type.Kind, type.Group, name, problems);
            }
        }

        switch (type.Kind)
        {
            case "Namespace":
                obj["status"] ??= new JsonObject { ["phase"] = "Active" };
                var labels = (Meta.Of(obj)["labels"] ??= new JsonObject()).AsObject();
                labels["kubernetes.io/metadata.name"] = name;
                break;
            case "Service":
                DefaultService(obj, previous);
                break;
            case "Deployment":
                DefaultDeployment(obj);
                Workloads.Validate(type, obj, previous);
                break;
            case "DaemonSet" or "ReplicaSet" or "StatefulSet" when type.Group == "apps":
                Workloads.Validate(type, obj, previous);
                break;
            case "Pod":
                obj["status"] ??= new JsonObject();
                obj["status"]!["phase"] ??= "Pending";
                break;
            case "Secret":
                obj["type"] ??= "Opaque";
                // stringData is write-only: the server folds it into data (base64), as kube-apiserver does.
                if (obj["stringData"] is JsonObject stringData)
                {
                    var data = (obj["data"] ??= new JsonObject()).AsObject();
                    foreach (var (key, value) in stringData)
                    {
                        data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Meta.Str(value) ?? ""));
                    }

                    obj.Remove("stringData");
                }

                break;
            case "Event":
                EventFields.Fill(obj, time.GetUtcNow());
                break;
            case "CustomResourceDefinition" when type.Group == "apiextensions.k8s.io":
                Crds.Accept(type, obj);
                break;
        }
    }

    public void AfterCommit(ResourceType type, string eventType, JsonObject obj)
    {
        if (type.Kind != "CustomResourceDefinition" || type.Group != "apiextensions.k8s.io")
        {
            return;
        }

        var crdName = Meta.Name(obj);
        if (eventType == "DELETED")
        {
            var served = ResourceRegistry.FromCrd(obj).FirstOrDefault();
            if (served is not null)
            {
                store.DeleteCollection(served, null, Selector.Everything, Selector.Everything, Propagation.Background, dryRun: false);
            }

            registry.Unregister(crdName);
        }
        else
        {
            registry.Register(obj);
        }
    }

    private void DefaultService(JsonObject obj, JsonObject? previous)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            return;
        }

        spec["type"] ??= "ClusterIP";
        var before = Meta.Str(previous?["spec"]?["clusterIP"]);
        if (before is not null && Meta.Str(spec["clusterIP"]) is { Length: > 0 } wanted && wanted != before)
        {
            throw ApiException.Invalid("Service", "", Meta.Name(obj), [("spec.clusterIPs[0]", $"Invalid value: []string{{\"{wanted}\"}}: may not change once set")]);
        }

        if (Meta.Str(spec["type"]) is "ClusterIP" or "NodePort" or "LoadBalancer" && spec["ports"] is not JsonArray { Count: > 0 })
        {
            throw ApiException.Invalid("Service", "", Meta.Name(obj), [("spec.ports", "Required value")]);
        }

        if (spec["clusterIP"] is null || Meta.Str(spec["clusterIP"]) == "")
        {
            // clusterIP is immutable: keep the one allocated on create.
            spec["clusterIP"] = previous?["spec"]?["clusterIP"]?.DeepClone() ?? $"10.96.{_nextClusterIp / 250}.{(_nextClusterIp++ % 250) + 1}";
        }

        spec["clusterIPs"] ??= new JsonArray(spec["clusterIP"]!.DeepClone());
        spec["sessionAffinity"] ??= "None";
        foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            port["protocol"] ??= "TCP";
            port["targetPort"] ??= port["port"]?.DeepClone();
        }
    }

    private static void DefaultDeployment(JsonObject obj)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            return;
        }

        spec["replicas"] ??= 1;
        spec["revisionHistoryLimit"] ??= 10;
        spec["progressDeadlineSeconds"] ??= 600;
        spec["strategy"] ??= new JsonObject
        {
            ["type"] = "RollingUpdate",
            ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = "25%", ["maxSurge"] = "25%" },
        };
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
