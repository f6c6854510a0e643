using System.Collections.Concurrent;

namespace Flagger.Testing;

/// <summary>
/// Counts the requests the embedded API server answered, per verb and per verb + resource, so benchmarks and
/// tests can assert how many API calls an operator makes (e.g. zero GETs for an idle canary).
/// </summary>
public sealed class RequestCounters
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    /// <summary>Requests with this verb ("get", "list", "watch", "create", "update", "patch", "delete", ...).</summary>
    public long this[string verb] => Count(verb);

    /// <summary>All requests counted since start or the last <see cref="Reset"/>.</summary>
    public long Total => _counts.Where(p => !p.Key.Contains(' ', StringComparison.Ordinal)).Sum(p => p.Value);

    /// <summary>Requests with <paramref name="verb"/>, optionally only those on <paramref name="resource"/> (plural, e.g. "deployments").</summary>
    /// <param name="verb">The Kubernetes verb.</param>
    /// <param name="resource">A plural resource name, or null for every resource.</param>
    /// <returns>The number of such requests.</returns>
    public long Count(string verb, string? resource = null) =>
        _counts.TryGetValue(resource is null ? verb : $"{verb} {resource}", out var n) ? n : 0;

    /// <summary>A copy of every counter; keys are "verb" and "verb resource".</summary>
    /// <returns>The counters at this moment.</returns>
    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_counts, StringComparer.Ordinal);

    /// <summary>Sets every counter back to zero.</summary>
    public void Reset() => _counts.Clear();

    internal void Record(ApiRequestInfo request)
    {
        _counts.AddOrUpdate(request.Verb, 1, (_, n) => n + 1);
        if (request.Resource.Length > 0)
        {
            var resource = request.Subresource is null ? request.Resource : $"{request.Resource}/{request.Subresource}";
            _counts.AddOrUpdate($"{request.Verb} {resource}", 1, (_, n) => n + 1);
        }
    }
}
