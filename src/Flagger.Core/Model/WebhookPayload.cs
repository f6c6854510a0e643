namespace Flagger.Model;

/// <summary>The JSON body every webhook receives.</summary>
public sealed record WebhookPayload
{
    /// <summary>Canary name.</summary>
    public required string Name { get; init; }

    /// <summary>Canary namespace.</summary>
    public required string Namespace { get; init; }

    /// <summary>Canary phase.</summary>
    public required string Phase { get; init; }

    /// <summary>Identifies the revision being gated: a hash of the tracked configs and last applied spec.</summary>
    public string? Checksum { get; init; }

    /// <summary>The webhook's metadata (plus eventMessage, eventType, timestamp for event hooks).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
