using System.Text.Json.Serialization;

namespace Flagger.Model;

/// <summary>The parts of Kubernetes object metadata the engine reads; providers keep the full object.</summary>
public sealed record ObjectMetadata
{
    /// <summary>Object name.</summary>
    public string? Name { get; init; }

    /// <summary>Object namespace.</summary>
    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }

    /// <summary>Unique id assigned by the API server.</summary>
    public string? Uid { get; init; }

    /// <summary>Optimistic-concurrency token.</summary>
    public string? ResourceVersion { get; init; }

    /// <summary>Spec generation.</summary>
    public long? Generation { get; init; }

    /// <summary>Creation time.</summary>
    public DateTimeOffset? CreationTimestamp { get; init; }

    /// <summary>Set when the object is being deleted.</summary>
    public DateTimeOffset? DeletionTimestamp { get; init; }

    /// <summary>Labels.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>Annotations.</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>Finalizers.</summary>
    public IReadOnlyList<string>? Finalizers { get; init; }
}

/// <summary>A reference to another object, optionally in another namespace.</summary>
public sealed record ObjectReference
{
    /// <summary>API version of the referent, for example <c>apps/v1</c>.</summary>
    public string? ApiVersion { get; init; }

    /// <summary>Kind of the referent, for example <c>Deployment</c>.</summary>
    public string? Kind { get; init; }

    /// <summary>Name of the referent.</summary>
    public string? Name { get; init; }

    /// <summary>Namespace of the referent; the canary's namespace when empty.</summary>
    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }
}

/// <summary>A reference to a Secret in the same namespace.</summary>
public sealed record SecretReference
{
    /// <summary>Secret name.</summary>
    public string? Name { get; init; }
}
