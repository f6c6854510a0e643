using System.Text.Json.Nodes;
using Flagger.Model;

namespace Flagger.GatewayApi.Tests;

/// <summary>The podinfo canary of the Gateway API walkthrough (deploy/artifacts/gatewayapi/canary.yaml) and its variants.</summary>
internal static class Canaries
{
    public const string GatewayJson = """
        {
          "apiVersion": "flagger.app/v1beta1",
          "kind": "Canary",
          "metadata": { "name": "podinfo", "namespace": "test" },
          "spec": {
            "provider": "gatewayapi:v1",
            "targetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo" },
            "progressDeadlineSeconds": 60,
            "service": {
              "port": 9898,
              "targetPort": 9898,
              "hosts": [ "www.example.com" ],
              "gatewayRefs": [ { "name": "gateway", "namespace": "gateway-system" } ]
            },
            "analysis": {
              "interval": "1m",
              "threshold": 5,
              "maxWeight": 50,
              "stepWeight": 10,
              "metrics": [
                { "name": "request-success-rate", "thresholdRange": { "min": 99 }, "interval": "1m" },
                { "name": "request-duration", "thresholdRange": { "max": 500 }, "interval": "30s" }
              ]
            }
          }
        }
        """;

    /// <summary>The canary in <paramref name="namespace"/>, with <paramref name="edit"/> applied to its JSON.</summary>
    public static Canary Gateway(string @namespace, Action<JsonObject>? edit = null)
    {
        var json = JsonNode.Parse(GatewayJson)!.AsObject();
        json["metadata"]!["namespace"] = @namespace;
        edit?.Invoke(json);
        return FlaggerJson.DeserializeCanary(json.ToJsonString());
    }

    public static JsonObject Service(this JsonObject canary) => canary["spec"]!["service"]!.AsObject();

    public static JsonObject Analysis(this JsonObject canary) => canary["spec"]!["analysis"]!.AsObject();

    /// <summary>Blue/Green: ten iterations, no weights.</summary>
    public static Canary BlueGreen(string @namespace, bool mirror = false) => Gateway(@namespace, c =>
    {
        var analysis = c.Analysis();
        analysis.Remove("maxWeight");
        analysis.Remove("stepWeight");
        analysis["iterations"] = 10;
        if (mirror)
        {
            analysis["mirror"] = true;
        }
    });

    /// <summary>A/B testing on a header and a query parameter, with every route option the service offers.</summary>
    public static Canary ABTesting(string @namespace) => Gateway(@namespace, c =>
    {
        var service = c.Service();
        service["match"] = JsonNode.Parse("""[{ "uri": { "prefix": "/api" }, "method": { "exact": "GET" } }]""");
        service["rewrite"] = JsonNode.Parse("""{ "uri": "/", "authority": "podinfo.internal" }""");
        service["timeout"] = "5s";
        service["backendTimeout"] = "2s";
        service["headers"] = JsonNode.Parse("""{ "request": { "set": { "x-b": "2", "x-a": "1" } }, "response": { "remove": [ "x-powered-by" ] } }""");
        service["corsPolicy"] = JsonNode.Parse("""{ "allowOrigin": [ "https://example.com" ], "allowMethods": [ "GET", "POST" ], "allowCredentials": true, "maxAge": "24h" }""");
        service["apex"] = JsonNode.Parse("""{ "labels": { "team": "podinfo" }, "annotations": { "owner": "sre", "kustomize.toolkit.fluxcd.io/name": "apps" } }""");
        var analysis = c.Analysis();
        analysis.Remove("maxWeight");
        analysis.Remove("stepWeight");
        analysis["iterations"] = 10;
        analysis["match"] = JsonNode.Parse("""
            [
              { "headers": { "x-canary": { "exact": "insider" } } },
              { "queryParams": { "canary": { "regex": "^(yes|true)$" } } }
            ]
            """);
    });

    /// <summary>A canary whose users stay on the revision they first reached.</summary>
    public static Canary SessionAffinity(string @namespace) => Gateway(@namespace, c =>
        c.Analysis()["sessionAffinity"] = JsonNode.Parse("""{ "cookieName": "flagger-cookie", "primaryCookieName": "flagger-primary", "maxAge": 7200, "path": "/", "httpOnly": true, "sameSite": "Lax" }"""));

    /// <summary><paramref name="canary"/> with the status the engine would have written at <paramref name="phase"/>.</summary>
    public static Canary At(this Canary canary, CanaryPhase phase, string revision = "rev-1") =>
        canary with { Status = new CanaryStatus { Phase = phase, LastAppliedSpec = revision } };
}
