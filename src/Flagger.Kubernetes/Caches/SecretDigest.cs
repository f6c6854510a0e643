using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Flagger.Model;
using k8s.Models;

namespace Flagger.Kubernetes.Caches;

/// <summary>
/// What the cache keeps of a Secret: its metadata (without managedFields and kubectl's last-applied annotation, which
/// holds the data again), its type and a checksum of its data, never the data. The watch
/// lists every Secret in scope, and a process that held them all would hand every namespace's credentials to anyone
/// with a heap dump. The checksum is all config tracking needs to see a new revision; the few places that need the
/// values (copying to <c>-primary</c>, provider credentials) read that one Secret from the API server when they do.
/// </summary>
internal static class SecretDigest
{
    // Keyed by the cached instance (the cache replaces instances, never changes them), so nothing is added to the
    // Secret object that could be written back to the cluster.
    private static readonly ConditionalWeakTable<V1Secret, string> Checksums = [];

    private const string LastApplied = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>A copy of <paramref name="secret"/> without its data, remembered with the data's checksum.</summary>
    public static V1Secret Strip(V1Secret secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var stripped = new V1Secret
        {
            ApiVersion = secret.ApiVersion,
            Kind = secret.Kind,
            Metadata = Without(secret.Metadata),
            Type = secret.Type,
            Immutable = secret.Immutable,
        };
        Checksums.AddOrUpdate(stripped, Compute(secret.Data));
        return stripped;
    }

    /// <summary>The checksum of a Secret's data, as config tracking records it (base64 values, sorted keys).</summary>
    public static string ChecksumOf(V1Secret secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return Checksums.TryGetValue(secret, out var checksum) ? checksum : Compute(secret.Data);
    }

    // kubectl apply keeps the whole applied object, data included, in an annotation; managedFields can be larger than
    // the rest of the metadata and nothing here reads them.
    private static V1ObjectMeta? Without(V1ObjectMeta? metadata)
    {
        if (metadata is null || (metadata.ManagedFields is null && metadata.Annotations?.ContainsKey(LastApplied) != true))
        {
            return metadata;
        }

        var annotations = metadata.Annotations?.Where(a => a.Key != LastApplied).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        return metadata with { ManagedFields = null, Annotations = annotations is { Count: > 0 } ? annotations : null };
    }

    /// <summary>
    /// <see cref="SpecHash.ComputeConfigChecksum"/> of the base64 values, byte for byte (the same JSON, with the same
    /// encoder, into the same SHA-256), but streamed: that one builds each value as a base64 string, serialises it,
    /// and joins everything in one string before hashing, about twelve times the data in large-object-heap
    /// allocations, for every Secret of every list page and watch event.
    /// </summary>
    internal static string Compute(IDictionary<string, byte[]>? data)
    {
        using var hash = new HashingBufferWriter();
        using (var json = new Utf8JsonWriter(hash))
        {
            json.WriteStartObject();
            foreach (var (key, value) in (data ?? new Dictionary<string, byte[]>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                json.WritePropertyName(key);
                var encoded = ArrayPool<byte>.Shared.Rent(Base64.GetMaxEncodedToUtf8Length(value?.Length ?? 0));
                try
                {
                    Base64.EncodeToUtf8(value ?? [], encoded, out _, out var written);
                    json.WriteStringValue(encoded.AsSpan(0, written));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(encoded);
                }
            }

            json.WriteEndObject();
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHash(digest);
        return Convert.ToHexStringLower(digest[..8]);
    }

    /// <summary>Hashes what is written to it; holds one pooled buffer, however much is written.</summary>
    private sealed class HashingBufferWriter : IBufferWriter<byte>, IDisposable
    {
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);

        public void Advance(int count) => hash.AppendData(buffer, 0, count);

        public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).Span;

        public void GetHash(Span<byte> destination) => hash.GetHashAndReset(destination);

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(buffer);
            hash.Dispose();
        }

        private Memory<byte> Ensure(int sizeHint)
        {
            if (sizeHint > buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(sizeHint);
            }

            return buffer;
        }
    }
}
