using System.Text.Json.Nodes;
using Flagger.Model;

namespace Flagger.Istio.Tests;

/// <summary>The walkthrough's podinfo canary (deploy/artifacts/canaries/canary.yaml) and the variants the router must handle.</summary>
internal static class Canaries
{
    public const string WalkthroughJson = """
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
                { "name": "load-test", "url": "http://flagger-loadtester.test/", "timeout": "5s",
                  "metadata": { "cmd": "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/" } }
              ]
            }
          }
        }
        """;

    /// <summary>The walkthrough canary in <paramref name="namespace"/>, with <paramref name="edit"/> applied to its JSON.</summary>
    public static Canary Walkthrough(string @namespace, Action<JsonObject>? edit = null)
    {
        var json = JsonNode.Parse(WalkthroughJson)!.AsObject();
        json["metadata"]!["namespace"] = @namespace;
        edit?.Invoke(json);
        return FlaggerJson.DeserializeCanary(json.ToJsonString());
    }

    public static JsonObject Service(this JsonObject canary) => canary["spec"]!["service"]!.AsObject();

    public static JsonObject Analysis(this JsonObject canary) => canary["spec"]!["canaryAnalysis"]!.AsObject();

    /// <summary>A/B testing on a header and a cookie, with every HTTP route option the service offers.</summary>
    public static Canary ABTesting(string @namespace) => Walkthrough(@namespace, c =>
    {
        var service = c.Service();
        service["match"] = JsonNode.Parse("""[{ "uri": { "prefix": "/api" } }]""");
        service["rewrite"] = JsonNode.Parse("""{ "uri": "/", "authority": "podinfo.internal" }""");
        service["retries"] = JsonNode.Parse("""{ "attempts": 3, "perTryTimeout": "1s", "retryOn": "gateway-error,connect-failure" }""");
        service["timeout"] = "5s";
        service["headers"] = JsonNode.Parse("""{ "request": { "add": { "x-envoy-upstream-rq-timeout-ms": "15000" } }, "response": { "remove": [ "x-powered-by" ] } }""");
        service["corsPolicy"] = JsonNode.Parse("""{ "allowOrigins": [ { "exact": "https://example.com" } ], "allowMethods": [ "GET", "POST" ], "maxAge": "24h" }""");
        service["apex"] = JsonNode.Parse("""{ "labels": { "team": "podinfo" }, "annotations": { "owner": "sre", "kustomize.toolkit.fluxcd.io/name": "apps" } }""");
        var analysis = c.Analysis();
        analysis.Remove("maxWeight");
        analysis.Remove("stepWeight");
        analysis["iterations"] = 10;
        analysis["match"] = JsonNode.Parse("""
            [
              { "headers": { "x-canary": { "exact": "insider" } } },
              { "headers": { "cookie": { "regex": "^(.*?;)?(canary=always)(;.*)?$" } } }
            ]
            """);
    });

    /// <summary>Blue/Green with 30% of the primary's traffic mirrored to the canary.</summary>
    public static Canary Mirror(string @namespace) => Walkthrough(@namespace, c =>
    {
        var analysis = c.Analysis();
        analysis.Remove("maxWeight");
        analysis.Remove("stepWeight");
        analysis["iterations"] = 10;
        analysis["mirror"] = true;
        analysis["mirrorWeight"] = 30;
    });

    /// <summary>A delegate VirtualService (reached through a root one), with discovered ports pinning the destination port.</summary>
    public static Canary Delegate(string @namespace) => Walkthrough(@namespace, c =>
    {
        var service = c.Service();
        service.Remove("hosts");
        service.Remove("gateways");
        service["delegation"] = true;
        service["portDiscovery"] = true;
    });

    /// <summary>A TCP service.</summary>
    public static Canary Tcp(string @namespace) => Walkthrough(@namespace, c => c.Service()["appProtocol"] = "tcp");
}
