using BenchmarkDotNet.Attributes;
using Flagger.Metrics;
using Flagger.Prometheus;
using Flagger.Model;
using Flagger.Model.Validation;

namespace Flagger.Benchmarks;

/// <summary>The pure pieces a tick uses: JSON, hashing, validation and query rendering.</summary>
[MemoryDiagnoser]
public class ModelBenchmarks
{
    private readonly Canary canary = Fakes.Walkthrough.Canary();
    private readonly string json = FlaggerJson.Serialize(Fakes.Walkthrough.Canary());
    private readonly string podTemplate = """{"metadata":{"labels":{"app":"podinfo"}},"spec":{"containers":[{"name":"podinfod","image":"quay.io/stefanprodan/podinfo:1.4.0","ports":[{"containerPort":9898,"name":"http"}],"env":[{"name":"PODINFO_UI_COLOR","value":"blue"}]}]}}""";
    private readonly IstioMetricObserver observer = new();

    [Benchmark]
    public Canary DeserializeCanary() => FlaggerJson.DeserializeCanary(json);

    [Benchmark]
    public string SerializeCanary() => FlaggerJson.Serialize(canary);

    [Benchmark]
    public string HashPodTemplate() => SpecHash.Compute(podTemplate);

    [Benchmark]
    public int ValidateCanary() => CanaryValidator.Validate(canary).Count;

    [Benchmark]
    public string? RenderSuccessRateQuery() =>
        MetricQueryRenderer.Render(observer.RequestSuccessRateQuery, MetricQueryVariables.For(canary, canary.Spec.GetAnalysis()!.Metrics![0])).Query;
}
