using Flagger.Model;

namespace Flagger.Store;

/// <summary>
/// The MetricTemplates and AlertProviders that canaries reference, as the operator watches them, and where it
/// reports on them (watch-fed in the operator; read only by the leader).
/// </summary>
public interface IReferencedResourceStore
{
    /// <summary>Every MetricTemplate and AlertProvider known at the start, then each one again when it is added or changed, until cancelled.</summary>
    /// <param name="cancellationToken">Ends the watch.</param>
    IAsyncEnumerable<ReferencedResource> WatchAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Writes <see cref="ResourceReport.Status"/> through the object's status subresource and, when
    /// <see cref="ResourceReport.Warning"/> is set, records it as a Warning event on the object.
    /// </summary>
    /// <param name="resource">The object reported on.</param>
    /// <param name="report">Its new status and the warning to record.</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    Task ReportAsync(ReferencedResource resource, ResourceReport report, CancellationToken cancellationToken);
}

/// <summary>A MetricTemplate or an AlertProvider, as the operator checks it.</summary>
public sealed record ReferencedResource
{
    /// <summary><c>MetricTemplate</c> or <c>AlertProvider</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Object metadata.</summary>
    public required ObjectMetadata Metadata { get; init; }

    /// <summary>The status the object carries now.</summary>
    public ResourceStatus? Status { get; init; }

    /// <summary>Set when the object could not be read: the field and what is wrong.</summary>
    public string? ReadError { get; init; }

    /// <summary>The template, when <see cref="Kind"/> is <c>MetricTemplate</c>.</summary>
    public MetricTemplate? MetricTemplate { get; init; }

    /// <summary>The provider, when <see cref="Kind"/> is <c>AlertProvider</c>.</summary>
    public AlertProvider? AlertProvider { get; init; }

    /// <summary>Object name.</summary>
    public string Name => Metadata.Name ?? string.Empty;

    /// <summary>Object namespace.</summary>
    public string Namespace => Metadata.Namespace ?? string.Empty;

    /// <summary>A MetricTemplate as the operator checks it.</summary>
    /// <param name="template">The template as stored.</param>
    public static ReferencedResource From(MetricTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return new() { Kind = "MetricTemplate", Metadata = template.Metadata, Status = template.Status, ReadError = template.ReadError, MetricTemplate = template };
    }

    /// <summary>An AlertProvider as the operator checks it.</summary>
    /// <param name="provider">The provider as stored.</param>
    public static ReferencedResource From(AlertProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return new() { Kind = "AlertProvider", Metadata = provider.Metadata, Status = provider.Status, ReadError = provider.ReadError, AlertProvider = provider };
    }
}

/// <summary>What to write on a MetricTemplate or AlertProvider.</summary>
/// <param name="Status">The object's new status (its <c>Valid</c> condition set or removed, other conditions kept).</param>
/// <param name="Warning">The Warning event to record; null when the object became usable again.</param>
public sealed record ResourceReport(ResourceStatus Status, string? Warning);
