using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Flagger.Testing.Prometheus;

/// <summary>
/// Forwards Prometheus HTTP API calls to the process, moving times between simulated time and its axis: an instant
/// query without <c>time</c> is evaluated at the simulated now, given <c>time</c>, <c>start</c> and <c>end</c> are
/// moved onto the axis, and the sample timestamps of query results are moved back.
/// </summary>
internal sealed class PrometheusTimeProxy(HttpClient http, Func<Uri> server, PrometheusClock clock)
{
    private static readonly HashSet<string> TimeParameters = new(StringComparer.Ordinal) { "time", "start", "end" };

    public async Task ForwardAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var isQuery = path is "/api/v1/query" or "/api/v1/query_range";
        var parameters = new List<KeyValuePair<string, string>>();
        foreach (var (key, values) in request.Query)
        {
            parameters.AddRange(values.Select(v => new KeyValuePair<string, string>(key, v ?? "")));
        }

        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            foreach (var (key, values) in form)
            {
                parameters.AddRange(values.Select(v => new KeyValuePair<string, string>(key, v ?? "")));
            }
        }

        if (isQuery)
        {
            parameters = [.. parameters.Select(p => TimeParameters.Contains(p.Key) ? new(p.Key, ToAxis(p.Value)) : p)];
            if (path == "/api/v1/query" && !parameters.Any(p => p.Key == "time"))
            {
                parameters.Add(new("time", Seconds(clock.NowMilliseconds())));
            }
        }

        var target = new UriBuilder(new Uri(server(), path))
        {
            Query = string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}")),
        }.Uri;
        using var response = await http.GetAsync(target, context.RequestAborted).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = (int)response.StatusCode;
        context.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
        await context.Response.WriteAsync(isQuery ? FromAxis(body) : body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A Prometheus time parameter (Unix seconds or RFC 3339) in simulated time, on the axis.</summary>
    internal static string ToAxis(string value)
    {
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return Seconds(PrometheusClock.ToAxis(DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000))).ToUnixTimeMilliseconds());
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant)
            ? Seconds(PrometheusClock.ToAxis(instant).ToUnixTimeMilliseconds())
            : value;
    }

    /// <summary>Moves the sample timestamps of a query result back to simulated time; other bodies are kept.</summary>
    internal static string FromAxis(string body)
    {
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
            return body;
        }

        var data = json?["data"];
        var type = data?["resultType"] is JsonValue kind && kind.TryGetValue<string>(out var text) ? text : null;
        if (type is "scalar" or "string")
        {
            Shift(data?["result"] as JsonArray);
        }
        else
        {
            foreach (var item in data?["result"] as JsonArray ?? [])
            {
                Shift(item?["value"] as JsonArray);
                foreach (var point in item?["values"] as JsonArray ?? [])
                {
                    Shift(point as JsonArray);
                }
            }
        }

        return json?.ToJsonString() ?? body;
    }

    private static void Shift(JsonArray? sample)
    {
        if (sample is [JsonValue stamp, ..] && stamp.TryGetValue<double>(out var seconds))
        {
            sample[0] = PrometheusClock.FromAxis(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000))).ToUnixTimeMilliseconds() / 1000.0;
        }
    }

    private static string Seconds(long milliseconds) => (milliseconds / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);
}
