using System.Globalization;
using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Simulation;

/// <summary>
/// Behaviour a pod template asks of the simulated cluster through environment variables on any container,
/// so a test or the demo can make one revision fail to start. Documented in the package README.
/// </summary>
internal sealed record PodTemplateKnobs(TimeSpan? ReadyAfter, bool NeverReady, bool DeadlineExceeded)
{
    /// <summary>Pods become ready after this long (e.g. "30s", "2m", "500ms", or plain seconds).</summary>
    public const string ReadyAfterVariable = "FLAGGER_TESTING_READY_AFTER";

    /// <summary>"true": pods never become ready; the rollout exceeds its progress deadline after progressDeadlineSeconds.</summary>
    public const string NeverReadyVariable = "FLAGGER_TESTING_NEVER_READY";

    /// <summary>"true": the rollout reports ProgressDeadlineExceeded as soon as its pods would have been ready.</summary>
    public const string DeadlineExceededVariable = "FLAGGER_TESTING_PROGRESS_DEADLINE_EXCEEDED";

    public static PodTemplateKnobs From(JsonObject? template)
    {
        TimeSpan? readyAfter = null;
        var neverReady = false;
        var deadline = false;
        foreach (var container in template?["spec"]?["containers"] as JsonArray ?? [])
        {
            foreach (var env in container?["env"] as JsonArray ?? [])
            {
                var value = Meta.Str(env?["value"]) ?? "";
                switch (Meta.Str(env?["name"]))
                {
                    case ReadyAfterVariable:
                        readyAfter = ParseDuration(value);
                        break;
                    case NeverReadyVariable:
                        neverReady = IsTrue(value);
                        break;
                    case DeadlineExceededVariable:
                        deadline = IsTrue(value);
                        break;
                }
            }
        }

        return new PodTemplateKnobs(readyAfter, neverReady, deadline);
    }

    private static bool IsTrue(string value) => value is "true" or "True" or "1" or "yes";

    internal static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        (string Suffix, double Factor)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                return TimeSpan.FromSeconds(n * factor);
            }
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : null;
    }
}
