namespace Flagger.Acceptance;

/// <summary>
/// The classes whose operators release <c>podinfo.test</c>. An operator writes its canary series to prometheus-net's
/// process-wide registry, so two of them running at once in this test process overwrite and remove each other's
/// <c>flagger_canary_*</c> series (one operator per process, as in a cluster, never meets this). They run one at a
/// time, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SharedMetricsRegistry
{
    public const string Name = "operators sharing the process's metrics registry";
}
