using System.Text.Json.Nodes;

namespace Flagger.Testing.Storage;

/// <summary>One served group/version/resource: what discovery lists and what the router resolves paths to.</summary>
/// <remarks>
/// Objects are stored per group and plural (<see cref="StorageKey"/>), not per version: every served version of a
/// resource reads and writes the same objects, which is what lets a <c>v1alpha3</c> Canary and an
/// <c>autoscaling/v2beta1</c> HPA round-trip unchanged (there is no conversion, only the apiVersion is rewritten).
/// </remarks>
internal sealed record ResourceType(string Group, string Version, string Plural, string Singular, string Kind, bool Namespaced)
{
    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    public bool HasStatus { get; init; }

    public bool HasScale { get; init; }

    /// <summary>Preferred version of the group, for discovery.</summary>
    public bool Preferred { get; init; } = true;

    /// <summary>Columns for <c>as=Table</c>; NAME is always first and implicit.</summary>
    public IReadOnlyList<PrinterColumn> Columns { get; init; } = [PrinterColumn.Age];

    /// <summary>The CRD version's openAPIV3Schema, when the type is a custom resource.</summary>
    public JsonObject? Schema { get; init; }

    public bool IsCustom { get; init; }

    /// <summary>Set when two API groups share one storage (core and events.k8s.io Events).</summary>
    public string? SharedStorage { get; init; }

    public string StorageKey => SharedStorage ?? (Group.Length == 0 ? Plural : $"{Plural}.{Group}");

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string GroupVersion => ApiVersion;
}

/// <summary>A Table column: how kubectl names it and how the cell is computed from an object.</summary>
internal sealed record PrinterColumn(string Name, string Type, int Priority, Func<JsonObject, DateTimeOffset, JsonNode?> Cell)
{
    public string Description { get; init; } = "";

    public string Format { get; init; } = "";

    public static PrinterColumn Age { get; } = new("Age", "date", 0, (o, now) => Ages.Since(o["metadata"]?["creationTimestamp"], now))
    {
        Description = "CreationTimestamp is a timestamp representing the server time when this object was created.",
    };

    public static PrinterColumn Path(string name, string type, string jsonPath, int priority = 0) =>
        new(name, type, priority, (o, now) => Cells.From(type, JsonPathLite.Evaluate(o, jsonPath), now));
}
