using k8s;
using Microsoft.Extensions.Options;

namespace Flagger.Kubernetes;

/// <summary>How Flagger talks to Kubernetes; the names follow Flagger's command-line flags.</summary>
public sealed class KubernetesOptions
{
    /// <summary>
    /// Candidate selector labels, first match in the target's <c>spec.selector.matchLabels</c> wins
    /// (<c>-selector-labels</c>, default <c>app,name,app.kubernetes.io/name</c>).
    /// </summary>
    public IList<string> SelectorLabels { get; } = ["app", "name", "app.kubernetes.io/name"];

    /// <summary>
    /// Prefixes of target labels and annotations copied to primaries (<c>-include-label-prefix</c>); <c>*</c> copies
    /// all; empty copies none.
    /// </summary>
    public IList<string> IncludeLabelPrefixes { get; } = [];

    /// <summary>Track ConfigMaps and Secrets referenced by targets (<c>-enable-config-tracking</c>, default true).</summary>
    public bool EnableConfigTracking { get; set; } = true;

    /// <summary>Watch only this namespace (<c>-namespace</c>); null or empty watches all namespaces.</summary>
    public string? Namespace { get; set; }

    /// <summary>
    /// Hold the <c>flagger-leader-election</c> Lease before driving canaries (<c>-enable-leader-election</c>, default
    /// false); needed when more than one replica runs.
    /// </summary>
    public bool EnableLeaderElection { get; set; }

    /// <summary>Namespace of the leader-election Lease (<c>-leader-election-namespace</c>, default <c>kube-system</c>; <see cref="Namespace"/> when set).</summary>
    public string LeaderElectionNamespace { get; set; } = "kube-system";

    /// <summary>Identity of this replica in the Lease; default <c>&lt;hostname&gt;_&lt;uuid&gt;</c>.</summary>
    public string? LeaderElectionIdentity { get; set; }

    /// <summary>Lease duration (Flagger: 60 s).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the leader keeps trying to renew before it gives up (Flagger: 15 s).</summary>
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Interval between election attempts (Flagger: 5 s).</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many times a write that lost a 409 Conflict is re-read and run again (default 4: five attempts in all, as
    /// client-go's <c>retry.DefaultRetry</c>); used for Canary status and finalizer writes and primary workloads.
    /// </summary>
    public int ConflictRetries { get; set; } = 4;

    /// <summary>Client configuration used when the host registers no <see cref="IKubernetes"/>; null: in-cluster, else the kubeconfig.</summary>
    public KubernetesClientConfiguration? ClientConfiguration { get; set; }

    /// <summary>
    /// The clock the caches' retries back off on and their hung-watch deadline runs on; null: the system clock. A
    /// harness that runs the operator on a scaled clock sets it to that clock, so a failed list costs the same share
    /// of an analysis interval as in production.
    /// </summary>
    public TimeProvider? CacheClock { get; set; }
}

/// <summary>Rejects options Flagger would refuse, naming the flag.</summary>
internal sealed class KubernetesOptionsValidator : IValidateOptions<KubernetesOptions>
{
    public ValidateOptionsResult Validate(string? name, KubernetesOptions options)
    {
        var problems = new List<string>();
        if (options.SelectorLabels.Count == 0 || options.SelectorLabels.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("selector-labels: must name at least one label and no empty ones");
        }

        if (options.IncludeLabelPrefixes.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("include-label-prefix: empty prefix");
        }

        if (options.LeaseDuration <= options.RenewDeadline)
        {
            problems.Add("leader election: lease duration must be longer than the renew deadline");
        }

        if (options.RenewDeadline <= options.RetryPeriod || options.RetryPeriod <= TimeSpan.Zero)
        {
            problems.Add("leader election: renew deadline must be longer than the retry period, which must be positive");
        }

        if (options.ConflictRetries < 0)
        {
            problems.Add($"conflict retries: must be zero or more, got {options.ConflictRetries}");
        }

        if (string.IsNullOrWhiteSpace(options.LeaderElectionNamespace))
        {
            problems.Add("leader-election-namespace: must not be empty");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
