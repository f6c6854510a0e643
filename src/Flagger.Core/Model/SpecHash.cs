using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Flagger.Model;

/// <summary>
/// Stable hashes for revisions and tracked configs: the same object gives the same hash in every process and run,
/// whatever the key order of its JSON.
/// </summary>
public static class SpecHash
{
    // Kubernetes' "safe" alphabet: no vowels, no look-alike characters, so a hash never spells a word.
    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>Hashes a JSON document (a pod template, a Service spec) by its canonical form.</summary>
    public static string Compute(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Compute(document.RootElement);
    }

    /// <summary>Hashes a JSON value by its canonical form (object keys sorted, nulls dropped).</summary>
    public static string Compute(JsonElement element)
    {
        var hash = 2166136261u;
        Fold(element, ref hash);
        var digits = hash.ToString(CultureInfo.InvariantCulture);
        var encoded = new StringBuilder(digits.Length);
        foreach (var c in digits)
        {
            encoded.Append(SafeAlphabet[c % SafeAlphabet.Length]);
        }

        return encoded.ToString();
    }

    /// <summary>
    /// The webhook payload checksum: a hash of the tracked configs and last applied spec, so a receiver can tell
    /// which revision it is gating.
    /// </summary>
    public static string ComputeChecksum(CanaryStatus? status)
    {
        var json = new StringBuilder("{\"lastAppliedSpec\":");
        json.Append(JsonSerializer.Serialize(status?.LastAppliedSpec ?? string.Empty, FlaggerJsonContext.Default.String));
        json.Append(",\"trackedConfigs\":{");
        var first = true;
        foreach (var (key, value) in (status?.TrackedConfigs ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            json.Append(first ? string.Empty : ",")
                .Append(JsonSerializer.Serialize(key, FlaggerJsonContext.Default.String)).Append(':')
                .Append(JsonSerializer.Serialize(value, FlaggerJsonContext.Default.String));
            first = false;
        }

        return Compute(json.Append("}}").ToString());
    }

    /// <summary>
    /// Checksum of a ConfigMap's or Secret's <c>data</c>: SHA-256 of its JSON with sorted keys, first 8 bytes as hex.
    /// </summary>
    public static string ComputeConfigChecksum(IReadOnlyDictionary<string, string>? data)
    {
        var json = new StringBuilder("{");
        var first = true;
        foreach (var (key, value) in (data ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            json.Append(first ? string.Empty : ",")
                .Append(JsonSerializer.Serialize(key, FlaggerJsonContext.Default.String)).Append(':')
                .Append(JsonSerializer.Serialize(value, FlaggerJsonContext.Default.String));
            first = false;
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(json.Append('}').ToString()));
        return Convert.ToHexStringLower(digest.AsSpan(0, 8));
    }

    private static void Fold(JsonElement element, ref uint hash)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                Add("{", ref hash);
                foreach (var property in element.EnumerateObject()
                             .Where(p => p.Value.ValueKind != JsonValueKind.Null)
                             .OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    Add(property.Name, ref hash);
                    Add(":", ref hash);
                    Fold(property.Value, ref hash);
                    Add(",", ref hash);
                }

                Add("}", ref hash);
                break;
            case JsonValueKind.Array:
                Add("[", ref hash);
                foreach (var item in element.EnumerateArray())
                {
                    Fold(item, ref hash);
                    Add(",", ref hash);
                }

                Add("]", ref hash);
                break;
            default:
                Add(element.GetRawText(), ref hash);
                break;
        }
    }

    // FNV-1a, 32 bit: tiny, stable across platforms and runs (unlike string.GetHashCode).
    private static void Add(string text, ref uint hash)
    {
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 16777619u;
        }
    }
}
