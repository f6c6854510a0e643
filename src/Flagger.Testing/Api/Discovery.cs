using System.Globalization;
using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Api;

/// <summary>Legacy discovery documents (<c>/api</c>, <c>/apis</c>, <c>/api/v1</c>, <c>/apis/{g}/{v}</c>).</summary>
internal static class Discovery
{
    private static readonly string[] Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    private static readonly string[] SubresourceVerbs = ["get", "patch", "update"];

    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.0+flagger-embedded",
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-01-01T00:00:00Z",
        ["goVersion"] = "go1.23",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public static JsonObject Groups(ResourceRegistry registry)
    {
        var groups = new JsonArray();
        foreach (var group in registry.All.Where(t => t.Group.Length > 0).GroupBy(t => t.Group))
        {
            groups.Add(Group(group.Key, group));
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public static JsonObject? Group(ResourceRegistry registry, string name)
    {
        var types = registry.All.Where(t => t.Group == name).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var group = Group(name, types);
        group["kind"] = "APIGroup";
        group["apiVersion"] = "v1";
        return group;
    }

    public static JsonObject? Resources(ResourceRegistry registry, string group, string version)
    {
        var types = registry.All.Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var t in types)
        {
            var resource = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular,
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = new JsonArray([.. Verbs.Select(v => (JsonNode)v)]),
            };
            if (t.ShortNames.Count > 0)
            {
                resource["shortNames"] = new JsonArray([.. t.ShortNames.Select(s => (JsonNode)s)]);
            }

            if (t.Categories.Count > 0)
            {
                resource["categories"] = new JsonArray([.. t.Categories.Select(s => (JsonNode)s)]);
            }

            resources.Add(resource);
            if (t.HasStatus)
            {
                resources.Add(Subresource(t, "status", t.Kind, null, null));
            }

            if (t.HasScale)
            {
                resources.Add(Subresource(t, "scale", "Scale", "autoscaling", "v1"));
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    /// <summary>Kubernetes version priority: GA before beta before alpha, higher numbers first.</summary>
    public static IEnumerable<string> OrderVersions(IEnumerable<string> versions) =>
        versions.Distinct().OrderByDescending(Priority).ThenBy(v => v, StringComparer.Ordinal);

    private static JsonObject Subresource(ResourceType t, string name, string kind, string? group, string? version)
    {
        var sub = new JsonObject
        {
            ["name"] = $"{t.Plural}/{name}",
            ["singularName"] = "",
            ["namespaced"] = t.Namespaced,
        };
        if (group is not null)
        {
            sub["group"] = group;
            sub["version"] = version;
        }

        sub["kind"] = kind;
        sub["verbs"] = new JsonArray([.. SubresourceVerbs.Select(v => (JsonNode)v)]);
        return sub;
    }

    private static JsonObject Group(string name, IEnumerable<ResourceType> types)
    {
        var versions = OrderVersions(types.Select(t => t.Version)).ToList();
        JsonObject Entry(string v) => new() { ["groupVersion"] = $"{name}/{v}", ["version"] = v };
        return new JsonObject
        {
            ["name"] = name,
            ["versions"] = new JsonArray([.. versions.Select(v => (JsonNode)Entry(v))]),
            ["preferredVersion"] = Entry(versions[0]),
        };
    }

    private static (int Stage, int Major, int Minor) Priority(string version)
    {
        var body = version.TrimStart('v');
        var stage = body.Contains("alpha", StringComparison.Ordinal) ? 0 : body.Contains("beta", StringComparison.Ordinal) ? 1 : 2;
        var parts = body.Split("alpha", "beta");
        int Parse(string s) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        return (stage, Parse(parts[0]), parts.Length > 1 ? Parse(parts[1]) : 0);
    }
}

file static class SplitExtensions
{
    public static string[] Split(this string s, string a, string b) => s.Split([a, b], StringSplitOptions.None);
}
