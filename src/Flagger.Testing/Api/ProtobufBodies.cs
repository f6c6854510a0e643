using System.Text;
using System.Text.Json.Nodes;

namespace Flagger.Testing.Api;

/// <summary>
/// Decodes the Kubernetes protobuf bodies kubectl's typed commands send (<c>kubectl create namespace</c>,
/// <c>create configmap</c>, <c>create secret</c>, <c>create serviceaccount</c>) into JSON. Other kinds are
/// answered with 415; kubectl apply and the KubernetesClient always send JSON.
/// </summary>
internal static class ProtobufBodies
{
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static JsonObject Decode(byte[] body)
    {
        if (body.Length < Magic.Length || !body.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw Unsupported("a protobuf body without the k8s envelope");
        }

        string? apiVersion = null;
        string? kind = null;
        byte[]? raw = null;
        foreach (var (field, value) in Fields(body.AsMemory(Magic.Length)))
        {
            switch (field)
            {
                case 1:
                    foreach (var (f, v) in Fields(value))
                    {
                        if (f == 1)
                        {
                            apiVersion = Text(v);
                        }
                        else if (f == 2)
                        {
                            kind = Text(v);
                        }
                    }

                    break;
                case 2:
                    raw = value.ToArray();
                    break;
            }
        }

        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        foreach (var (field, value) in Fields(raw ?? []))
        {
            switch (kind, field)
            {
                case (_, 1):
                    obj["metadata"] = ObjectMeta(value);
                    break;
                case ("Namespace", 2):
                    obj["spec"] = new JsonObject();
                    break;
                case ("ConfigMap", 2):
                case ("Secret", 5):
                    Entry(obj, kind == "Secret" ? "stringData" : "data", value, base64: false);
                    break;
                case ("ConfigMap", 3):
                case ("Secret", 2):
                    Entry(obj, kind == "Secret" ? "data" : "binaryData", value, base64: true);
                    break;
                case ("Secret", 3):
                    obj["type"] = Text(value);
                    break;
                case ("ConfigMap" or "Secret", 4):
                    obj["immutable"] = value.Length > 0 && value.Span[0] != 0;
                    break;
                case ("Namespace" or "ConfigMap" or "Secret" or "ServiceAccount", _):
                    break;
                default:
                    throw Unsupported($"a protobuf {kind}");
            }
        }

        if (kind is not ("Namespace" or "ConfigMap" or "Secret" or "ServiceAccount"))
        {
            throw Unsupported($"a protobuf {kind}");
        }

        return obj;
    }

    private static JsonObject ObjectMeta(ReadOnlyMemory<byte> bytes)
    {
        var meta = new JsonObject();
        foreach (var (field, value) in Fields(bytes))
        {
            switch (field)
            {
                case 1:
                    meta["name"] = Text(value);
                    break;
                case 2:
                    meta["generateName"] = Text(value);
                    break;
                case 3:
                    meta["namespace"] = Text(value);
                    break;
                case 11:
                    Entry(meta, "labels", value, base64: false);
                    break;
                case 12:
                    Entry(meta, "annotations", value, base64: false);
                    break;
                case 14:
                    ((meta["finalizers"] ??= new JsonArray()) as JsonArray)!.Add(Text(value));
                    break;
            }
        }

        return meta;
    }

    // A map<string, string|bytes> entry: field 1 key, field 2 value.
    private static void Entry(JsonObject target, string property, ReadOnlyMemory<byte> entry, bool base64)
    {
        string? key = null;
        var value = "";
        foreach (var (f, v) in Fields(entry))
        {
            if (f == 1)
            {
                key = Text(v);
            }
            else if (f == 2)
            {
                value = base64 ? Convert.ToBase64String(v.Span) : Text(v);
            }
        }

        if (key is not null)
        {
            ((target[property] ??= new JsonObject()) as JsonObject)![key] = value;
        }
    }

    /// <summary>Length-delimited and varint fields of one message; varints come back as their raw bytes.</summary>
    private static List<(int Field, ReadOnlyMemory<byte> Value)> Fields(ReadOnlyMemory<byte> message)
    {
        var result = new List<(int, ReadOnlyMemory<byte>)>();
        var span = message.Span;
        var i = 0;
        while (i < span.Length)
        {
            var tag = Varint(span, ref i);
            var field = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0:
                    var start = i;
                    Varint(span, ref i);
                    result.Add((field, message[start..i]));
                    break;
                case 2:
                    var length = (int)Varint(span, ref i);
                    result.Add((field, message.Slice(i, length)));
                    i += length;
                    break;
                case 1:
                    i += 8;
                    break;
                case 5:
                    i += 4;
                    break;
                default:
                    throw Unsupported("a malformed protobuf body");
            }
        }

        return result;
    }

    private static ulong Varint(ReadOnlySpan<byte> span, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; i < span.Length; shift += 7)
        {
            var b = span[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                break;
            }
        }

        return value;
    }

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    private static ApiException Unsupported(string what) =>
        new(415, "UnsupportedMediaType", $"the embedded API server cannot decode {what}; send JSON (kubectl apply does)");
}
