namespace Flagger.Model;

/// <summary>The <c>status</c> of a MetricTemplate or AlertProvider: the conditions the operator reports on it.</summary>
public sealed record ResourceStatus
{
    /// <summary>The <c>metadata.generation</c> the conditions were written for.</summary>
    public long? ObservedGeneration { get; init; }

    /// <summary>Conditions; <c>Valid</c> with status <c>False</c> while the object cannot be used.</summary>
    public IReadOnlyList<CanaryCondition>? Conditions { get; init; }
}
