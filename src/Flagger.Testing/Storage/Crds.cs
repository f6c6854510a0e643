using System.Text.Json.Nodes;
using Flagger.Testing.Api;

namespace Flagger.Testing.Storage;

/// <summary>Validates a CustomResourceDefinition and marks it Established, which makes its resources served.</summary>
internal static class Crds
{
    public static void Accept(ResourceType type, JsonObject crd)
    {
        var name = Meta.Name(crd);
        var spec = crd["spec"] as JsonObject;
        var group = Meta.Str(spec?["group"]);
        var plural = Meta.Str(spec?["names"]?["plural"]);
        var kind = Meta.Str(spec?["names"]?["kind"]);
        var problems = new List<(string, string)>();
        if (string.IsNullOrEmpty(group))
        {
            problems.Add(("spec.group", "Required value"));
        }

        if (string.IsNullOrEmpty(plural))
        {
            problems.Add(("spec.names.plural", "Required value"));
        }

        if (string.IsNullOrEmpty(kind))
        {
            problems.Add(("spec.names.kind", "Required value"));
        }

        if (problems.Count == 0 && name != $"{plural}.{group}")
        {
            problems.Add(("metadata.name", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"));
        }

        if (spec?["versions"] is not JsonArray { Count: > 0 } versions)
        {
            problems.Add(("spec.versions", "Invalid value: must have exactly one version marked as storage version"));
        }
        else if (versions.Count(v => v?["storage"]?.GetValue<bool>() == true) != 1)
        {
            problems.Add(("spec.versions", "Invalid value: must have exactly one version marked as storage version"));
        }

        if (problems.Count > 0)
        {
            throw ApiException.Invalid(type.Kind, type.Group, name, problems);
        }

        var names = spec!["names"]!.DeepClone().AsObject();
        names["singular"] ??= kind!.ToLowerInvariant();
        names["listKind"] ??= kind + "List";
        var storedVersions = new JsonArray([.. (spec["versions"] as JsonArray)!.Where(v => v?["storage"]?.GetValue<bool>() == true).Select(v => v!["name"]!.DeepClone())]);
        crd["status"] = new JsonObject
        {
            ["acceptedNames"] = names,
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found", crd),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted", crd)),
            ["storedVersions"] = storedVersions,
        };
    }

    private static JsonObject Condition(string type, string reason, string message, JsonObject crd) => new()
    {
        ["type"] = type,
        ["status"] = "True",
        ["lastTransitionTime"] = crd["metadata"]?["creationTimestamp"]?.DeepClone(),
        ["reason"] = reason,
        ["message"] = message,
    };
}
