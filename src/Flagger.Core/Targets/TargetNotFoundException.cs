namespace Flagger.Targets;

/// <summary>
/// The workload a canary's <c>spec.targetRef</c> names does not exist. Target controllers and service routers throw
/// it instead of a plain error so that the engine can say so on the canary's status (a <c>ResolvedRefs=False</c>
/// condition with reason <c>TargetNotFound</c>), not only in an event: a canary applied before its Deployment, or
/// with a typo in the name, is then visible in <c>kubectl get canaries</c> and <c>kubectl wait</c>.
/// </summary>
public sealed class TargetNotFoundException : InvalidOperationException
{
    /// <summary>Creates the error for the workload <paramref name="kind"/> <paramref name="name"/> in <paramref name="namespace"/>.</summary>
    /// <param name="kind">The target's kind, <c>Deployment</c> or <c>DaemonSet</c>.</param>
    /// <param name="name">The name <c>spec.targetRef.name</c> gives.</param>
    /// <param name="namespace">The canary's namespace.</param>
    /// <param name="message">The event text; Flagger's own wording, for example
    /// <c>deployment podinfo.test get query error: deployments.apps "podinfo" not found</c>.</param>
    public TargetNotFoundException(string kind, string name, string @namespace, string message)
        : base(message)
    {
        Kind = kind;
        Name = name;
        Namespace = @namespace;
    }

    /// <summary>Creates the error with a message.</summary>
    public TargetNotFoundException(string message)
        : this(string.Empty, string.Empty, string.Empty, message)
    {
    }

    /// <summary>Creates the error with a message and an inner exception.</summary>
    public TargetNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = string.Empty;
        Name = string.Empty;
        Namespace = string.Empty;
    }

    /// <summary>Creates an empty error.</summary>
    public TargetNotFoundException()
        : this("target not found")
    {
    }

    /// <summary>The target's kind.</summary>
    public string Kind { get; }

    /// <summary>The target's name.</summary>
    public string Name { get; }

    /// <summary>The canary's (and target's) namespace.</summary>
    public string Namespace { get; }
}
