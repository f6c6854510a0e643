using System.Text.Json;
using Flagger.Model;

namespace Flagger.Fakes;

/// <summary>The walkthrough's podinfo canary: Istio, stepWeight 10 up to 50, threshold 5, two builtin metrics and a load test.</summary>
public static class Walkthrough
{
    public static Canary Canary(Func<CanaryAnalysis, CanaryAnalysis>? analysis = null, Func<CanarySpec, CanarySpec>? spec = null)
    {
        var baseAnalysis = new CanaryAnalysis
        {
            Interval = "1m",
            Threshold = 5,
            MaxWeight = 50,
            StepWeight = 10,
            Metrics =
            [
                new CanaryMetric { Name = "request-success-rate", Threshold = 99, Interval = "1m" },
                new CanaryMetric { Name = "request-duration", Threshold = 500, Interval = "30s" },
            ],
            Webhooks =
            [
                new CanaryWebhook
                {
                    Name = "load-test",
                    Url = "http://flagger-loadtester.test/",
                    Timeout = "5s",
                    Metadata = new Dictionary<string, string> { ["cmd"] = "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/" },
                },
            ],
        };
        var baseSpec = new CanarySpec
        {
            TargetRef = new ObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = "podinfo" },
            AutoscalerRef = null,
            ProgressDeadlineSeconds = 60,
            Service = new CanaryService
            {
                Port = 9898,
                Gateways = ["public-gateway.istio-system.svc.cluster.local", "mesh"],
                Hosts = ["app.istio.weavedx.com"],
                TrafficPolicy = JsonDocument.Parse("""{"tls":{"mode":"DISABLE"}}""").RootElement,
            },
            CanaryAnalysis = analysis is null ? baseAnalysis : analysis(baseAnalysis),
        };
        return new Canary
        {
            ApiVersion = "flagger.app/v1alpha3",
            Metadata = new ObjectMetadata { Name = "podinfo", Namespace = "test" },
            Spec = spec is null ? baseSpec : spec(baseSpec),
        };
    }
}
