using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Flagger.Hosting.Logging;

/// <summary>
/// One JSON object per line with Flagger's field names (<c>level</c>, <c>ts</c>, <c>msg</c>, <c>canary</c>), so
/// <c>kubectl logs deploy/flagger | jq .msg</c> prints the event texts as in the walkthrough.
/// </summary>
internal sealed class FlaggerJsonFormatter(TimeProvider? time = null) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "flagger-json";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("level", Level(logEntry.LogLevel));
            json.WriteString("ts", (time ?? TimeProvider.System).GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("logger", logEntry.Category);
            json.WriteString("msg", message);
            if (logEntry.State is IEnumerable<KeyValuePair<string, object?>> fields)
            {
                foreach (var (key, value) in fields)
                {
                    if (key == "canary")
                    {
                        json.WriteString("canary", value?.ToString());
                    }
                }
            }

            if (logEntry.Exception is { } exception)
            {
                json.WriteString("error", exception.ToString());
            }

            json.WriteEndObject();
        }

        textWriter.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        _ => "error",
    };
}

/// <summary>Adds the Flagger JSON console format.</summary>
public static class FlaggerLoggingExtensions
{
    /// <summary>Writes logs as Flagger's JSON lines on the console.</summary>
    public static ILoggingBuilder AddFlaggerJsonConsole(this ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.AddConsole(o => o.FormatterName = FlaggerJsonFormatter.FormatterName);
        // Registered as AddConsoleFormatter would, without binding its options from configuration (that binding
        // needs reflection, and the format has no options).
        logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, FlaggerJsonFormatter>());
        return logging;
    }

    /// <summary>Writes logs as Flagger's JSON lines to <paramref name="writer"/> (a file, a pipe, a simulated pod's log).</summary>
    /// <param name="logging">The logging builder.</param>
    /// <param name="writer">Where each line goes; flushed after every line, never disposed here.</param>
    /// <param name="time">The clock of the <c>ts</c> field (the host's scaled or fake clock); the system clock when null.</param>
    /// <returns>The builder.</returns>
    public static ILoggingBuilder AddFlaggerJsonWriter(this ILoggingBuilder logging, TextWriter writer, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(logging);
        ArgumentNullException.ThrowIfNull(writer);
        logging.AddProvider(new FlaggerJsonWriterLoggerProvider(writer, time));
        return logging;
    }
}
