using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Api;

/// <summary>
/// Builds <c>meta.k8s.io/v1 Table</c> responses (what <c>kubectl get</c> asks for) from a type's printer columns;
/// for custom resources those are the CRD's additionalPrinterColumns, so the columns match the real server.
/// Whether a Table is wanted is <see cref="ResponseForm"/>'s to decide from the <c>Accept</c> header.
/// </summary>
internal static class TableConverter
{
    public static JsonObject Convert(ResourceType type, IEnumerable<JsonObject> objects, string? resourceVersion, bool includeObject, DateTimeOffset now, string? next = null, string apiVersion = "meta.k8s.io/v1")
    {
        var definitions = new JsonArray
        {
            new JsonObject
            {
                ["name"] = "Name", ["type"] = "string", ["format"] = "name", ["description"] = "Name must be unique within a namespace.", ["priority"] = 0,
            },
        };
        foreach (var c in type.Columns)
        {
            definitions.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            });
        }

        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var cells = new JsonArray(JsonValue.Create(Meta.Name(obj)));
            foreach (var c in type.Columns)
            {
                cells.Add(c.Cell(obj, now));
            }

            rows.Add(new JsonObject { ["cells"] = cells, ["object"] = includeObject ? obj.DeepClone() : PartialObjectMetadata.Of(obj, apiVersion) });
        }

        var metadata = new JsonObject();
        if (resourceVersion is not null)
        {
            metadata["resourceVersion"] = resourceVersion;
        }

        // kubectl asks for tables 500 rows at a time and follows this token for the rest.
        if (next is not null)
        {
            metadata["continue"] = next;
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = apiVersion,
            ["metadata"] = metadata,
            ["columnDefinitions"] = definitions,
            ["rows"] = rows,
        };
    }
}
