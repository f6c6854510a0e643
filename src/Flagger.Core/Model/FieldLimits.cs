namespace Flagger.Model;

/// <summary>
/// Upper bounds of the Canary fields that become timers, loops and object names. Validation reports a value
/// beyond them with the bound in the message, the CRD refuses gross overflows, and the code that acts on a
/// field clamps to the same bound, so no value reaches a timer or a loop counter that cannot hold it.
/// </summary>
public static class FieldLimits
{
    /// <summary>Longest <c>analysis.interval</c>: a day.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromHours(24);

    /// <summary>Longest <c>analysis.metrics[].interval</c> (the query window): a day.</summary>
    public static readonly TimeSpan MaxMetricInterval = TimeSpan.FromHours(24);

    /// <summary>Longest <c>analysis.webhooks[].timeout</c>: an hour.</summary>
    public static readonly TimeSpan MaxWebhookTimeout = TimeSpan.FromHours(1);

    /// <summary>Longest request timeout the mesh is given (<c>service.timeout</c>, <c>backendTimeout</c>, <c>retries.perTryTimeout</c>): a day.</summary>
    public static readonly TimeSpan MaxServiceTimeout = TimeSpan.FromHours(24);

    /// <summary>Most <c>analysis.webhooks[].retries</c>; Flagger's manifests use single digits.</summary>
    public const int MaxWebhookRetries = 10;

    /// <summary>Longest <c>spec.progressDeadlineSeconds</c>: a day.</summary>
    public const int MaxProgressDeadlineSeconds = 86_400;

    /// <summary>Longest Kubernetes object name or label value the operator derives names from (a DNS-1035 label).</summary>
    public const int MaxDerivedNameLength = 63;

    /// <summary>
    /// Longest target or service name: its <c>-primary</c> Service, Deployment and <c>app</c> label value must
    /// still fit in <see cref="MaxDerivedNameLength"/> characters.
    /// </summary>
    public const int MaxTargetNameLength = MaxDerivedNameLength - 8;
}
