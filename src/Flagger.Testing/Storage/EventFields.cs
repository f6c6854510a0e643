using System.Text.Json.Nodes;

namespace Flagger.Testing.Storage;

/// <summary>
/// core/v1 and events.k8s.io/v1 Events share one storage; every Event carries both field sets so that
/// <c>kubectl describe</c> (core/v1) sees events a controller wrote through events.k8s.io/v1 and the reverse.
/// </summary>
internal static class EventFields
{
    public static void Fill(JsonObject e, DateTimeOffset now)
    {
        Copy(e, "regarding", "involvedObject");
        Copy(e, "note", "message");
        if (e["source"] is null && e["reportingController"] is { } controller)
        {
            e["source"] = new JsonObject { ["component"] = controller.DeepClone() };
        }

        e["reportingController"] ??= e["source"]?["component"]?.DeepClone();
        e["reportingInstance"] ??= e["source"]?["host"]?.DeepClone() ?? e["reportingController"]?.DeepClone();
        var stamp = Meta.Timestamp(now);
        e["firstTimestamp"] ??= e["eventTime"] is { } et ? JsonValue.Create(Trim(et.ToString())) : stamp;
        e["lastTimestamp"] ??= e["series"]?["lastObservedTime"] is { } lo ? JsonValue.Create(Trim(lo.ToString())) : e["firstTimestamp"]!.DeepClone();
        e["count"] ??= e["series"]?["count"]?.DeepClone() ?? 1;
        e["type"] ??= "Normal";
    }

    private static void Copy(JsonObject e, string a, string b)
    {
        if (e[a] is null && e[b] is not null)
        {
            e[a] = e[b]!.DeepClone();
        }
        else if (e[b] is null && e[a] is not null)
        {
            e[b] = e[a]!.DeepClone();
        }
    }

    // core/v1 timestamps have second precision; eventTime is a MicroTime.
    private static string Trim(string micro) => micro.Length > 20 && micro.Contains('.', StringComparison.Ordinal) ? micro[..micro.IndexOf('.', StringComparison.Ordinal)] + "Z" : micro;
}
