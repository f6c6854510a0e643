using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Api;

/// <summary>
/// Just enough OpenAPI v3 for kubectl: per group/version, a PATCH operation per kind carrying
/// <c>x-kubernetes-group-version-kind</c> and a <c>fieldValidation</c> parameter. That tells kubectl the server
/// validates fields itself (so it sends <c>fieldValidation=Strict</c> and needs no client-side schema). The
/// request bodies deliberately do not list strategic-merge-patch, so kubectl computes such patches from its
/// compiled-in types, which know the real merge keys, instead of from this schema-less document.
/// </summary>
internal static class OpenApiDocuments
{
    public static JsonObject Index(ResourceRegistry registry)
    {
        var paths = new JsonObject();
        foreach (var gv in registry.All.Select(t => (t.Group, t.Version)).Distinct())
        {
            var key = Key(gv.Group, gv.Version);
            paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={Hash(Document(registry, gv.Group, gv.Version)!)}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>The document for <c>api/v1</c> or <c>apis/{group}/{version}</c>; null when not served.</summary>
    public static JsonObject? Document(ResourceRegistry registry, string relative)
    {
        var parts = relative.Trim('/').Split('/');
        return parts switch
        {
            ["api", var v] => Document(registry, "", v),
            ["apis", var g, var v] => Document(registry, g, v),
            _ => null,
        };
    }

    private static JsonObject? Document(ResourceRegistry registry, string group, string version)
    {
        var types = registry.All.Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var t in types)
        {
            if (t.Schema is { } schema)
            {
                // CRD schemas let `kubectl explain` work for custom resources.
                var named = (JsonObject)schema.DeepClone();
                named["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = t.Group, ["version"] = t.Version, ["kind"] = t.Kind });
                schemas[$"{string.Join('.', t.Group.Split('.').Reverse())}.{t.Version}.{t.Kind}"] = named;
            }

            var prefix = group.Length == 0 ? $"/api/{version}" : $"/apis/{group}/{version}";
            var collection = t.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{t.Plural}" : $"{prefix}/{t.Plural}";
            paths[$"{collection}/{{name}}"] = new JsonObject { ["patch"] = Patch(t, "") };
            if (t.HasStatus)
            {
                paths[$"{collection}/{{name}}/status"] = new JsonObject { ["patch"] = Patch(t, "Status") };
            }
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static JsonObject Patch(ResourceType t, string suffix)
    {
        var content = new JsonObject
        {
            ["application/json-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
            ["application/merge-patch+json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } },
        };
        return new JsonObject
        {
            ["operationId"] = $"patch{(t.Namespaced ? "Namespaced" : "")}{t.Kind}{suffix}",
            ["parameters"] = new JsonArray(
                Query("dryRun"), Query("fieldManager"), Query("fieldValidation"),
                new JsonObject { ["name"] = "force", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "boolean", ["uniqueItems"] = true } }),
            ["requestBody"] = new JsonObject { ["content"] = content, ["required"] = true },
            ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
            ["x-kubernetes-action"] = "patch",
            ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = t.Group, ["version"] = t.Version, ["kind"] = t.Kind },
        };
    }

    private static JsonObject Query(string name) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };

    private static string Key(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    private static string Hash(JsonObject document) =>
        Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(document.ToJsonString())))[..64];
}
