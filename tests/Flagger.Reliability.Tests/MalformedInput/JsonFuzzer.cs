using System.Text.Json.Nodes;

namespace Flagger.Reliability.MalformedInput;

/// <summary>Random damage to a resource's JSON: fields deleted, or set to a value of another type, an extreme number or garbage.</summary>
internal static class JsonFuzzer
{
    /// <summary>One to three changes, each to a field of one of <paramref name="containers"/> (its own or one of <paramref name="extraKeys"/>).</summary>
    public static void Mutate(IReadOnlyList<JsonObject> containers, IReadOnlyList<string> extraKeys, Random random)
    {
        for (var changes = random.Next(1, 4); changes > 0; changes--)
        {
            var target = containers[random.Next(containers.Count)];
            var keys = target.Select(p => p.Key).Concat(extraKeys).ToList();
            var key = keys[random.Next(keys.Count)];
            JsonNode? value = random.Next(9) switch
            {
                0 => null,
                1 => JsonValue.Create(-random.Next(1, 1000)),
                2 => JsonValue.Create(long.MaxValue),
                3 => JsonValue.Create("\u00ff\u0000garbage"),
                4 => new JsonArray(JsonValue.Create(random.Next(-10, 200)), JsonValue.Create("x")),
                5 => new JsonObject { ["name"] = "x" },
                6 => JsonValue.Create(random.Next(0, 200)),
                7 => JsonValue.Create(random.NextDouble() * 1e6),
                _ => JsonValue.Create(string.Concat(Enumerable.Repeat("9", random.Next(1, 40)))),
            };
            if (random.Next(5) == 0)
            {
                target.Remove(key);
            }
            else
            {
                target[key] = value;
            }
        }
    }
}
