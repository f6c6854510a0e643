namespace Flagger.Tests.Model;

/// <summary>The walkthrough's podinfo Canary, as its manifest is written (legacy v1alpha3, canaryAnalysis).</summary>
internal static class WalkthroughCanary
{
    public const string Json = """
        {
          "apiVersion": "flagger.app/v1alpha3",
          "kind": "Canary",
          "metadata": { "name": "podinfo", "namespace": "test" },
          "spec": {
            "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo" },
            "progressDeadlineSeconds": 60,
            "autoscalerRef": { "apiVersion": "autoscaling/v2beta1", "kind": "HorizontalPodAutoscaler", "name": "podinfo" },
            "service": {
              "port": 9898,
              "trafficPolicy": { "tls": { "mode": "DISABLE" } },
              "gateways": [ "public-gateway.istio-system.svc.cluster.local", "mesh" ],
              "hosts": [ "app.example.com" ]
            },
            "canaryAnalysis": {
              "interval": "1m",
              "threshold": 5,
              "maxWeight": 50,
              "stepWeight": 10,
              "metrics": [
                { "name": "request-success-rate", "threshold": 99, "interval": "1m" },
                { "name": "request-duration", "threshold": 500, "interval": "30s" }
              ],
              "webhooks": [
                {
                  "name": "load-test",
                  "url": "http://flagger-loadtester.test/",
                  "timeout": "5s",
                  "metadata": { "cmd": "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/" }
                }
              ]
            }
          }
        }
        """;

    /// <summary>The same canary written for <c>flagger.app/v1beta1</c>, with <c>spec.analysis</c>.</summary>
    public static string V1Beta1Json { get; } = Json
        .Replace("flagger.app/v1alpha3", "flagger.app/v1beta1", StringComparison.Ordinal)
        .Replace("\"canaryAnalysis\"", "\"analysis\"", StringComparison.Ordinal);
}
