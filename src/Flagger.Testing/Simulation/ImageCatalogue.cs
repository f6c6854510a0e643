using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Simulation;

/// <summary>
/// The images the simulated registry has. A pod whose image is not here does not start: its container waits in
/// <c>ErrImagePull</c>, then <c>ImagePullBackOff</c>, as a kubelet's does, and its Deployment reports
/// <c>ProgressDeadlineExceeded</c> after <c>progressDeadlineSeconds</c>. Entries are references
/// (<c>ghcr.io/stefanprodan/podinfo:6.0.1</c>) or a repository with any tag (<c>ghcr.io/stefanprodan/podinfo:*</c>);
/// <c>docker.io/</c> and <c>docker.io/library/</c> are the same as no registry. Users add entries with
/// <see cref="Add"/> or with a ConfigMap <c>flagger-testing-images</c> in <c>kube-system</c> whose values list
/// references, one per line.
/// </summary>
public sealed class ImageCatalogue
{
    /// <summary>The ConfigMap (in <c>kube-system</c>) whose data values add images, one reference per line.</summary>
    public const string ConfigMapName = "flagger-testing-images";

    private readonly ConcurrentDictionary<string, bool> _entries = new(StringComparer.Ordinal);

    /// <summary>
    /// The walkthrough's and Flagger's end-to-end images: podinfo (any tag, from Docker Hub, quay.io or ghcr.io),
    /// Flagger's load tester, the demo's operator image and the usual debugging images.
    /// </summary>
    /// <returns>A new catalogue with those entries.</returns>
    public static ImageCatalogue Default()
    {
        var catalogue = new ImageCatalogue();
        foreach (var entry in new[]
                 {
                     "stefanprodan/podinfo:*", "quay.io/stefanprodan/podinfo:*", "ghcr.io/stefanprodan/podinfo:*",
                     "ghcr.io/fluxcd/flagger-loadtester:*", "weaveworks/flagger-loadtester:*",
                     "flagger-dotnet:*", "busybox:*", "curlimages/curl:*", "alpine:*",
                 })
        {
            catalogue.Add(entry);
        }

        return catalogue;
    }

    /// <summary>Adds an image reference, or a repository with <c>:*</c> for any tag.</summary>
    /// <param name="reference">The reference.</param>
    /// <returns>This catalogue.</returns>
    public ImageCatalogue Add(string reference)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        _entries[Normalise(reference.Trim())] = true;
        return this;
    }

    /// <summary>Whether the registry has <paramref name="image"/> (added entries only, not the ConfigMap).</summary>
    /// <param name="image">An image reference as a pod spec writes it.</param>
    /// <returns>True when it can be pulled.</returns>
    public bool Contains(string image) => Matches(Normalise(image ?? ""), _entries.Keys);

    /// <summary>The first image of a pod template or pod spec that cannot be pulled, or null when all can.</summary>
    internal string? FirstMissing(JsonObject? podSpec, ObjectStore store)
    {
        var images = (podSpec?["containers"] as JsonArray ?? []).Concat(podSpec?["initContainers"] as JsonArray ?? [])
            .Select(c => Meta.Str(c?["image"]) ?? "").ToList();
        if (images.All(Contains))
        {
            return null;
        }

        var added = FromConfigMap(store);
        return images.FirstOrDefault(i => !Contains(i) && !Matches(Normalise(i), added));
    }

    private static List<string> FromConfigMap(ObjectStore store)
    {
        var configMaps = store.Registry.Find("", "v1", "configmaps");
        var data = configMaps is null ? null : store.TryGet(configMaps, "kube-system", ConfigMapName)?["data"] as JsonObject;
        return [.. (data ?? []).SelectMany(kv => (Meta.Str(kv.Value) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(Normalise)];
    }

    private static bool Matches(string image, IEnumerable<string> entries)
    {
        var (repository, _) = Split(image);
        return entries.Any(e => e == image || (e.EndsWith(":*", StringComparison.Ordinal) && e[..^2] == repository));
    }

    private static string Normalise(string reference)
    {
        foreach (var prefix in new[] { "docker.io/library/", "docker.io/", "index.docker.io/library/", "index.docker.io/" })
        {
            if (reference.StartsWith(prefix, StringComparison.Ordinal))
            {
                reference = reference[prefix.Length..];
                break;
            }
        }

        if (reference.StartsWith("library/", StringComparison.Ordinal))
        {
            reference = reference["library/".Length..];
        }

        // No tag means latest.
        var (repository, tag) = Split(reference);
        return $"{repository}:{tag ?? "latest"}";
    }

    private static (string Repository, string? Tag) Split(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? reference : reference[..at];
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        return colon > slash ? (name[..colon], name[(colon + 1)..]) : (name, at < 0 ? null : reference[(at + 1)..]);
    }
}
