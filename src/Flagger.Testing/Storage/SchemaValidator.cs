using System.Text.Json.Nodes;
using Flagger.Testing.Api;

namespace Flagger.Testing.Storage;

/// <summary>
/// Structural-schema checks for custom resources (<see cref="Schemas.StructuralSchema"/>), with unknown fields pruned
/// as the API server does, or refused under <c>fieldValidation=Strict</c>, which kubectl sends.
/// </summary>
internal static class SchemaValidator
{
    [ThreadStatic]
    private static bool t_strict;

    /// <summary>Set by the request handler for the duration of one (synchronous) store call.</summary>
    public static bool Strict { get => t_strict; set => t_strict = value; }

    public static List<(string Field, string Message)> Validate(JsonObject schema, JsonObject obj)
    {
        var problems = Schemas.StructuralSchema.Check(schema, obj, prune: true, out var unknown);
        if (unknown.Count > 0 && Strict)
        {
            throw ApiException.BadRequest($"strict decoding error: {string.Join(", ", unknown.Select(u => $"unknown field \"{u}\""))}");
        }

        return problems;
    }
}
