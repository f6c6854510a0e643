using System.Text.Json.Nodes;

namespace Flagger.Testing.Storage;

/// <summary>Which resources are served: the built-ins plus whatever established CRDs add.</summary>
internal sealed class ResourceRegistry
{
    private readonly Lock _gate = new();
    private readonly List<ResourceType> _builtIn = [.. BuiltInResources.Create()];
    private readonly Dictionary<string, IReadOnlyList<ResourceType>> _custom = new(StringComparer.Ordinal);

    /// <summary>Bumped whenever the set of served types changes; discovery and OpenAPI hashes include it.</summary>
    public int Generation { get; private set; }

    public IReadOnlyList<ResourceType> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _builtIn, .. _custom.Values.SelectMany(v => v)];
            }
        }
    }

    public ResourceType? Find(string group, string version, string plural)
    {
        foreach (var t in All)
        {
            if (t.Group == group && t.Version == version && t.Plural == plural)
            {
                return t;
            }
        }

        return null;
    }

    public ResourceType? FindByKind(string group, string version, string kind) =>
        All.FirstOrDefault(t => t.Group == group && t.Version == version && t.Kind == kind);

    public IEnumerable<ResourceType> StorageSiblings(ResourceType type) => All.Where(t => t.StorageKey == type.StorageKey);

    /// <summary>Makes a CRD's versions served (called when the CRD is created or updated).</summary>
    public void Register(JsonObject crd)
    {
        var types = FromCrd(crd);
        lock (_gate)
        {
            _custom[crd["metadata"]!["name"]!.GetValue<string>()] = types;
            Generation++;
        }
    }

    public void Unregister(string crdName)
    {
        lock (_gate)
        {
            if (_custom.Remove(crdName))
            {
                Generation++;
            }
        }
    }

    internal static List<ResourceType> FromCrd(JsonObject crd)
    {
        var spec = crd["spec"]!.AsObject();
        var group = spec["group"]!.GetValue<string>();
        var names = spec["names"]!.AsObject();
        var plural = names["plural"]!.GetValue<string>();
        var kind = names["kind"]!.GetValue<string>();
        var singular = names["singular"]?.GetValue<string>() ?? kind.ToLowerInvariant();
        var namespaced = spec["scope"]?.GetValue<string>() != "Cluster";
        var shortNames = Strings(names["shortNames"]);
        var categories = Strings(names["categories"]);
        var result = new List<ResourceType>();
        var versions = spec["versions"] as JsonArray ?? [];
        var preferred = versions.OfType<JsonObject>().FirstOrDefault(v => v["storage"]?.GetValue<bool>() == true)?["name"]?.GetValue<string>();
        foreach (var v in versions.OfType<JsonObject>())
        {
            if (v["served"]?.GetValue<bool>() == false)
            {
                continue;
            }

            var name = v["name"]!.GetValue<string>();
            var columns = new List<PrinterColumn>();
            foreach (var c in (v["additionalPrinterColumns"] as JsonArray ?? []).OfType<JsonObject>())
            {
                columns.Add(PrinterColumn.Path(c["name"]!.GetValue<string>(), c["type"]?.GetValue<string>() ?? "string",
                    c["jsonPath"]!.GetValue<string>(), Int(c["priority"])) with
                {
                    Description = c["description"]?.GetValue<string>() ?? "",
                    Format = c["format"]?.GetValue<string>() ?? "",
                });
            }

            if (columns.Count == 0)
            {
                columns.Add(PrinterColumn.Age);
            }

            result.Add(new ResourceType(group, name, plural, singular, kind, namespaced)
            {
                ShortNames = shortNames,
                Categories = categories,
                HasStatus = v["subresources"]?["status"] is not null,
                HasScale = v["subresources"]?["scale"] is not null,
                Preferred = name == preferred,
                Columns = columns,
                Schema = v["schema"]?["openAPIV3Schema"]?.DeepClone() as JsonObject,
                IsCustom = true,
            });
        }

        return result;
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? [.. a.Select(x => x!.GetValue<string>())] : [];

    // YAML applied in-process holds numbers as Int64 and JSON from HTTP as JsonElement: read either.
    private static int Int(JsonNode? node) =>
        node is null ? 0 : int.Parse(node.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
}
