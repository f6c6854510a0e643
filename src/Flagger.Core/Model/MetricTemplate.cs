using System.Text.Json.Serialization;

namespace Flagger.Model;

/// <summary>A <c>flagger.app/v1beta1</c> MetricTemplate: a metrics provider and a query template.</summary>
public sealed record MetricTemplate
{
    /// <summary>API version.</summary>
    public string? ApiVersion { get; init; } = Canary.CurrentApiVersion;

    /// <summary>Always <c>MetricTemplate</c>.</summary>
    public string? Kind { get; init; } = "MetricTemplate";

    /// <summary>Object metadata.</summary>
    public ObjectMetadata Metadata { get; init; } = new();

    /// <summary>Provider and query.</summary>
    public MetricTemplateSpec Spec { get; init; } = new();

    /// <summary>What the operator reports on this template (a <c>Valid=False</c> condition while it cannot be used).</summary>
    public ResourceStatus? Status { get; init; }

    /// <summary>
    /// Set by <see cref="FlaggerJson.ReadMetricTemplate"/> when the stored object could not be read as a MetricTemplate
    /// (a field of the wrong type): the field and what is wrong. <see cref="Spec"/> is then empty.
    /// </summary>
    [JsonIgnore]
    public string? ReadError { get; init; }
}

/// <summary>The MetricTemplate's <c>spec</c>.</summary>
public sealed record MetricTemplateSpec
{
    /// <summary>Where the query runs.</summary>
    public MetricTemplateProvider Provider { get; init; } = new();

    /// <summary>Query template with <c>{{ namespace }}</c>, <c>{{ target }}</c>, <c>{{ interval }}</c>, … placeholders.</summary>
    public string? Query { get; init; }
}

/// <summary>The metrics provider of a MetricTemplate.</summary>
public sealed record MetricTemplateProvider
{
    /// <summary>Provider type, such as <c>prometheus</c>.</summary>
    public string? Type { get; init; }

    /// <summary>Provider address.</summary>
    public string? Address { get; init; }

    /// <summary>Secret holding credentials (<c>token</c>, or <c>username</c> and <c>password</c>).</summary>
    public SecretReference? SecretRef { get; init; }

    /// <summary>Extra HTTP headers.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Headers { get; init; }

    /// <summary>Cloud region (CloudWatch).</summary>
    public string? Region { get; init; }

    /// <summary>Skip TLS verification.</summary>
    public bool InsecureSkipVerify { get; init; }
}
