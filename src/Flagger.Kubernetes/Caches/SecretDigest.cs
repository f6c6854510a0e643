using System.Runtime.CompilerServices;
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

    private static string Compute(IDictionary<string, byte[]>? data) =>
        SpecHash.ComputeConfigChecksum((data ?? new Dictionary<string, byte[]>()).ToDictionary(kv => kv.Key, kv => Convert.ToBase64String(kv.Value), StringComparer.Ordinal));
}
