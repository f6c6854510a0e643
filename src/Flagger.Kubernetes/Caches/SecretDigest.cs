using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Flagger.Model;

namespace Flagger.Kubernetes.Caches;

/// <summary>
/// The checksum config tracking records for a Secret's data, computed without building the data again as strings.
/// </summary>
internal static class SecretDigest
{
    /// <summary>
    /// <see cref="SpecHash.ComputeConfigChecksum"/> of the base64 values, byte for byte (the same JSON, with the same
    /// encoder, into the same SHA-256), but streamed: that one builds each value as a base64 string, serialises it,
    /// and joins everything in one string before hashing, about twelve times the data in large-object-heap
    /// allocations, for each Secret read (a large Secret is up to 1 MiB).
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
