using System.Globalization;
using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Mesh;

/// <summary>
/// How the simulated pods of one revision answer, from environment variables on any container of its pod template:
/// part of the template, so a revision carries its faults and a rollback leaves them behind.
/// </summary>
internal sealed record RevisionFaults(double ErrorPercent, double AddedLatencyMilliseconds)
{
    /// <summary>Share of requests answered with a 5xx, in percent (0–100).</summary>
    public const string ErrorPercentVariable = "FLAGGER_SIM_ERROR_PERCENT";

    /// <summary>Milliseconds added to the P99 request duration.</summary>
    public const string LatencyVariable = "FLAGGER_SIM_LATENCY_MS";

    public static RevisionFaults None { get; } = new(0, 0);

    public static RevisionFaults From(JsonObject? template)
    {
        var errors = 0.0;
        var latency = 0.0;
        foreach (var container in template?["spec"]?["containers"] as JsonArray ?? [])
        {
            foreach (var env in container?["env"] as JsonArray ?? [])
            {
                var value = Meta.Str(env?["value"]) ?? "";
                switch (Meta.Str(env?["name"]))
                {
                    case ErrorPercentVariable:
                        errors = Math.Clamp(Number(value), 0, 100);
                        break;
                    case LatencyVariable:
                        latency = Math.Max(0, Number(value));
                        break;
                }
            }
        }

        return new RevisionFaults(errors, latency);
    }

    private static double Number(string text) =>
        double.TryParse(text.Trim().TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
