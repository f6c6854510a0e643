using System.Text.Json.Serialization;

namespace Flagger.Model;

/// <summary>A <c>flagger.app/v1beta1</c> AlertProvider: a chat destination for a canary's alerts.</summary>
public sealed record AlertProvider
{
    /// <summary>API version.</summary>
    public string? ApiVersion { get; init; } = Canary.CurrentApiVersion;

    /// <summary>Always <c>AlertProvider</c>.</summary>
    public string? Kind { get; init; } = "AlertProvider";

    /// <summary>Object metadata.</summary>
    public ObjectMetadata Metadata { get; init; } = new();

    /// <summary>Destination settings.</summary>
    public AlertProviderSpec Spec { get; init; } = new();

    /// <summary>What the operator reports on this provider (a <c>Valid=False</c> condition while it cannot be used).</summary>
    public ResourceStatus? Status { get; init; }

    /// <summary>
    /// Set by <see cref="FlaggerJson.ReadAlertProvider"/> when the stored object could not be read as an AlertProvider
    /// (a field of the wrong type): the field and what is wrong. <see cref="Spec"/> is then empty.
    /// </summary>
    [JsonIgnore]
    public string? ReadError { get; init; }
}

/// <summary>The AlertProvider's <c>spec</c>.</summary>
public sealed record AlertProviderSpec
{
    /// <summary>slack, msteams, discord, rocket or gchat.</summary>
    public string? Type { get; init; }

    /// <summary>Channel (default <c>general</c>).</summary>
    public string? Channel { get; init; }

    /// <summary>User name (default <c>flagger</c>).</summary>
    public string? Username { get; init; }

    /// <summary>Webhook address; the Secret's <c>address</c> key wins when set.</summary>
    public string? Address { get; init; }

    /// <summary>HTTP proxy.</summary>
    public string? Proxy { get; init; }

    /// <summary>Secret with <c>address</c> and optional <c>token</c>.</summary>
    public SecretReference? SecretRef { get; init; }
}
