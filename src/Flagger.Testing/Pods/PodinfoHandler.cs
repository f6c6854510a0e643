using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Pods;

/// <summary>
/// The workload's own answer at the end of the pod network: a Service backed by ready pods running a podinfo
/// image answers like podinfo (<c>/</c>, <c>/status/{code}</c>, <c>POST /token</c>, <c>/delay/{seconds}</c>, <c>/healthz</c>,
/// <c>/readyz</c>, <c>/version</c>); any other Service refuses the connection, as nothing listens.
/// </summary>
internal sealed class PodinfoHandler(ObjectStore store)
{
    private int _next;

    public async Task<ClusterHttpResponse> HandleAsync(ClusterHttpRequest request, CancellationToken ct)
    {
        var backends = ReadyBackends(request.ServiceNamespace, request.ServiceName);
        if (backends.Count == 0)
        {
            return ClusterHttpResponse.Refused();
        }

        var pod = backends[(int)((uint)Interlocked.Increment(ref _next) % backends.Count)];
        var image = Images(pod).FirstOrDefault(IsPodinfo);
        if (image is null)
        {
            return ClusterHttpResponse.Refused();
        }

        var path = request.PathAndQuery.Split('?')[0].TrimEnd('/');
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (segments)
        {
            case []:
                return Json(200, Info(Meta.Name(pod), image));
            case ["status", var code] when int.TryParse(code, NumberStyles.Integer, CultureInfo.InvariantCulture, out var status) && status is >= 100 and <= 599:
                return Json(status, new JsonObject { ["status"] = status });
            case ["delay", var seconds] when int.TryParse(seconds, NumberStyles.Integer, CultureInfo.InvariantCulture, out var delay) && delay >= 0:
                await Task.Delay(TimeSpan.FromSeconds(delay), store.Time, ct).ConfigureAwait(false);
                return Json(200, new JsonObject { ["delay"] = delay });
            case ["healthz"] or ["readyz"]:
                return Json(200, new JsonObject { ["status"] = "OK" });
            case ["token"] when request.Method == "POST":
                return Json(200, new JsonObject { ["token"] = $"embedded.{Meta.Name(pod)}.token", ["expires_at"] = store.Time.GetUtcNow().AddMinutes(1).ToString("O", CultureInfo.InvariantCulture) });
            case ["version"]:
                return Json(200, new JsonObject { ["commit"] = "embedded", ["version"] = Version(image) });
            default:
                return new ClusterHttpResponse { StatusCode = 404, Body = "404 page not found\n", ContentType = "text/plain; charset=utf-8" };
        }
    }

    /// <summary>Whether an image is podinfo's (<c>stefanprodan/podinfo:6.0.0</c>, <c>ghcr.io/stefanprodan/podinfo</c>, ...).</summary>
    internal static bool IsPodinfo(string image) => image.Split(':')[0].Split('/')[^1] == "podinfo";

    private List<JsonObject> ReadyBackends(string ns, string serviceName)
    {
        var services = store.Registry.Find("", "v1", "services")!;
        var pods = store.Registry.Find("", "v1", "pods")!;
        var service = store.TryGet(services, ns, serviceName);
        if (service?["spec"]?["selector"] is not JsonObject selector || selector.Count == 0)
        {
            return [];
        }

        return [.. store.List(pods, ns, Selector.Everything, Selector.Everything).Items
            .Where(p => selector.All(kv => Meta.Str(p["metadata"]?["labels"]?[kv.Key]) == Meta.Str(kv.Value)))
            .Where(p => !Meta.IsDeleting(p) && IsReady(p))
            .OrderBy(Meta.Name, StringComparer.Ordinal)];
    }

    private static bool IsReady(JsonObject pod) =>
        Meta.Str(pod["status"]?["phase"]) == "Running"
        && (pod["status"]?["conditions"] as JsonArray ?? []).Any(c => Meta.Str(c?["type"]) == "Ready" && Meta.Str(c?["status"]) == "True");

    private static IEnumerable<string> Images(JsonObject pod) =>
        (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => Meta.Str(c?["image"]) ?? "");

    private static string Version(string image)
    {
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[(colon + 1)..] : "latest";
    }

    private static JsonObject Info(string hostname, string image) => new()
    {
        ["hostname"] = hostname,
        ["version"] = Version(image),
        ["revision"] = "",
        ["color"] = "#34577c",
        ["logo"] = "https://raw.githubusercontent.com/stefanprodan/podinfo/gh-pages/cuddle_clap.gif",
        ["message"] = $"greetings from podinfo v{Version(image)}",
        ["goos"] = "linux",
        ["goarch"] = "amd64",
        ["runtime"] = "go1.22",
        ["num_goroutine"] = "8",
        ["num_cpu"] = "2",
    };

    private static ClusterHttpResponse Json(int status, JsonObject body) =>
        ClusterHttpResponse.Http(status, body.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
