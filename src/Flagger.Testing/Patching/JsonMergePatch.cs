using System.Text.Json.Nodes;

namespace Flagger.Testing.Patching;

/// <summary>RFC 7386 JSON merge patch: objects merge, null deletes, anything else (arrays too) replaces.</summary>
internal static class JsonMergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                var merged = Apply(result[key], value);
                result[key] = merged is not null && merged.Parent is not null ? merged.DeepClone() : merged;
            }
        }

        return result;
    }
}
