using System.Text.Json.Nodes;

namespace Flagger.Kubernetes.Scalers;

/// <summary>
/// Reads HPA metrics written for autoscaling/v2beta1 (the walkthrough's hpa.yaml) as autoscaling/v2. A real API
/// server converts on read; a server that stores bodies unconverted (older clusters, the embedded one) does not.
/// </summary>
internal static class HpaMetrics
{
    public static JsonArray ToV2(JsonArray? metrics)
    {
        // JsonNode[] rather than JsonArray.Add: Add(JsonObject) binds to the generic Add<T>, which needs reflection.
        return new JsonArray((metrics?.OfType<JsonObject>() ?? []).Select(JsonNode? (metric) => ToV2(metric)).ToArray());
    }

    private static JsonObject ToV2(JsonObject metric)
    {
        var converted = (JsonObject)metric.DeepClone();
        if (converted["resource"] is JsonObject resource && resource["target"] is null)
        {
            resource["target"] = Target(resource, "targetAverageUtilization", "targetAverageValue", null);
            resource.Remove("targetAverageUtilization");
            resource.Remove("targetAverageValue");
        }

        if (converted["pods"] is JsonObject pods && pods["target"] is null)
        {
            pods["metric"] = Metric(pods, "selector");
            pods["target"] = Target(pods, null, "targetAverageValue", null);
            pods.Remove("targetAverageValue");
        }

        if (converted["external"] is JsonObject external && external["target"] is null)
        {
            external["metric"] = Metric(external, "metricSelector");
            external["target"] = Target(external, null, "targetAverageValue", "targetValue");
            external.Remove("targetAverageValue");
            external.Remove("targetValue");
        }

        if (converted["object"] is JsonObject obj && obj["describedObject"] is null && obj["target"] is JsonObject described)
        {
            obj["describedObject"] = described.DeepClone();
            obj["metric"] = Metric(obj, "selector");
            obj["target"] = Target(obj, null, "averageValue", "targetValue");
            obj.Remove("averageValue");
            obj.Remove("targetValue");
        }

        return converted;
    }

    private static JsonObject Metric(JsonObject source, string selectorField)
    {
        var metric = new JsonObject { ["name"] = source["metricName"]?.DeepClone() };
        if (source[selectorField] is { } selector)
        {
            metric["selector"] = selector.DeepClone();
        }

        source.Remove("metricName");
        source.Remove(selectorField);
        return metric;
    }

    private static JsonObject Target(JsonObject source, string? utilization, string? averageValue, string? value)
    {
        if (utilization is not null && source[utilization] is { } u)
        {
            return new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = u.DeepClone() };
        }

        if (averageValue is not null && source[averageValue] is { } a)
        {
            return new JsonObject { ["type"] = "AverageValue", ["averageValue"] = a.DeepClone() };
        }

        return new JsonObject { ["type"] = "Value", ["value"] = value is not null ? source[value]?.DeepClone() : null };
    }
}
