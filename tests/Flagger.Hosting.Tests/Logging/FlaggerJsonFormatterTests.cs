using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Flagger.Hosting.Logging;

public sealed class FlaggerJsonFormatterTests
{
    private static readonly Action<ILogger, int, Exception?> LogAdvance =
        LoggerMessage.Define<int>(LogLevel.Information, default, "Advance podinfo{Index}.test canary weight 5");

    private static JsonElement Format(LogLevel level, string message, IReadOnlyList<KeyValuePair<string, object?>> state)
    {
        var formatter = new FlaggerJsonFormatter(new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero)));
        using var output = new StringWriter();
        formatter.Write(new LogEntry<IReadOnlyList<KeyValuePair<string, object?>>>(level, "Flagger", default, state, null, (_, _) => message), null, output);
        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        return JsonDocument.Parse(line).RootElement;
    }

    [Fact]
    public void Writes_one_json_line_with_msg_level_ts_and_canary()
    {
        var json = Format(LogLevel.Information, "Advance podinfo.test canary weight 5", [new("canary", "podinfo.test")]);

        Assert.Equal("Advance podinfo.test canary weight 5", json.GetProperty("msg").GetString());
        Assert.Equal("info", json.GetProperty("level").GetString());
        Assert.Equal("2026-11-28T12:00:00.000Z", json.GetProperty("ts").GetString());
        Assert.Equal("podinfo.test", json.GetProperty("canary").GetString());
    }

    [Theory]
    [InlineData(LogLevel.Debug, "debug")]
    [InlineData(LogLevel.Warning, "warn")]
    [InlineData(LogLevel.Error, "error")]
    public void Levels_use_flaggers_names(LogLevel level, string name) =>
        Assert.Equal(name, Format(level, "x", []).GetProperty("level").GetString());

    [Fact]
    public void Text_with_quotes_and_percent_signs_stays_readable() =>
        Assert.Equal("Halt podinfo.test advancement success rate 69.17% < 99%", Format(LogLevel.Information, "Halt podinfo.test advancement success rate 69.17% < 99%", []).GetProperty("msg").GetString());

    [Fact]
    public void AddFlaggerJsonWriter_writes_whole_lines_from_concurrent_loggers()
    {
        using var output = new StringWriter();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        using (var factory = LoggerFactory.Create(logging => logging.AddFlaggerJsonWriter(output, time)))
        {
            var logger = factory.CreateLogger("Flagger");
            Parallel.For(0, 200, i => LogAdvance(logger, i, null));
        }

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(200, lines.Length);
        var messages = lines.Select(l => JsonDocument.Parse(l).RootElement).Select(j => (j.GetProperty("msg").GetString(), j.GetProperty("ts").GetString())).ToList();
        Assert.Equal(200, messages.Select(m => m.Item1).Distinct().Count());
        Assert.All(messages, m => Assert.Equal("2026-11-28T12:00:00.000Z", m.Item2));
    }
}
