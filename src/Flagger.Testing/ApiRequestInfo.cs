namespace Flagger.Testing;

/// <summary>What a request to the embedded API server asks for, as fault rules and counters see it.</summary>
/// <param name="Verb">The Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection (or "discovery").</param>
/// <param name="Group">API group, empty for the core group.</param>
/// <param name="Version">API version.</param>
/// <param name="Resource">Plural resource name, e.g. "deployments"; empty for non-resource requests.</param>
/// <param name="Namespace">Namespace of the request, if any.</param>
/// <param name="Name">Object name, if any.</param>
/// <param name="Subresource">Subresource such as "status" or "scale", if any.</param>
public sealed record ApiRequestInfo(string Verb, string Group, string Version, string Resource, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>
    /// The client's <c>User-Agent</c> header, if any. Fault rules use it to single out one client among several
    /// on the same cluster, e.g. to partition one operator replica (<c>KubernetesClientConfiguration.UserAgent</c>).
    /// </summary>
    public string? UserAgent { get; init; }

    /// <summary>
    /// The client's <c>Accept</c> header, if any: which form it asked for, e.g.
    /// <c>application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1</c> from a metadata-only informer, or
    /// <c>as=Table</c> from <c>kubectl get</c>. Several header lines are joined with commas.
    /// </summary>
    public string? Accept { get; init; }
}
