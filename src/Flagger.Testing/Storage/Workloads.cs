using System.Text.Json.Nodes;
using Flagger.Testing.Api;

namespace Flagger.Testing.Storage;

/// <summary>
/// apps/v1 validation an operator most easily gets wrong when it clones workloads (as Flagger does for
/// <c>-primary</c>): a selector is required, must match the template's labels, and cannot change.
/// </summary>
internal static class Workloads
{
    public static void Validate(ResourceType type, JsonObject obj, JsonObject? previous)
    {
        var problems = new List<(string, string)>();
        var selector = obj["spec"]?["selector"] as JsonObject;
        var matchLabels = selector?["matchLabels"] as JsonObject;
        var templateLabels = obj["spec"]?["template"]?["metadata"]?["labels"] as JsonObject;
        if (selector is null || (matchLabels is null or { Count: 0 } && selector["matchExpressions"] is not JsonArray { Count: > 0 }))
        {
            problems.Add(("spec.selector", "Required value"));
        }
        else if (matchLabels is not null && matchLabels.Any(p => Meta.Str(templateLabels?[p.Key]) != Meta.Str(p.Value)))
        {
            problems.Add(("spec.template.metadata.labels", $"Invalid value: {templateLabels?.ToJsonString() ?? "null"}: `selector` does not match template `labels`"));
        }

        if (obj["spec"]?["template"]?["spec"]?["containers"] is not JsonArray { Count: > 0 })
        {
            problems.Add(("spec.template.spec.containers", "Required value"));
        }

        if (previous?["spec"]?["selector"] is { } before && !JsonNode.DeepEquals(before, selector))
        {
            problems.Add(("spec.selector", $"Invalid value: {selector?.ToJsonString() ?? "null"}: field is immutable"));
        }

        if (problems.Count > 0)
        {
            throw ApiException.Invalid(type.Kind, type.Group, Meta.Name(obj), problems);
        }
    }
}
