using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flagger.Hosting.Logging;

/// <summary>
/// Flagger's JSON log lines written to a <see cref="TextWriter"/> instead of the console: a log file, or (in the
/// demo) the log of a simulated <c>flagger</c> pod that <c>kubectl logs</c> reads.
/// </summary>
internal sealed class FlaggerJsonWriterLoggerProvider(TextWriter writer, TimeProvider? time) : ILoggerProvider, ISupportExternalScope
{
    private readonly FlaggerJsonFormatter formatter = new(time);
    private readonly Lock gate = new();
    private IExternalScopeProvider? scopes;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
        // The writer belongs to the caller.
    }

    private void Write<TState>(in LogEntry<TState> entry)
    {
        // One line at a time: concurrent ticks log concurrently, and a line must never interleave with another.
        lock (gate)
        {
            formatter.Write(entry, scopes, writer);
            writer.Flush();
        }
    }

    private sealed class Logger(FlaggerJsonWriterLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider.scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter));
            }
        }
    }
}
