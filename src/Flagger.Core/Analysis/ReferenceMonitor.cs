using Flagger.Analysis.Decisions;
using Flagger.Metrics;
using Flagger.Model.Validation;
using Flagger.Notifications;
using Flagger.Providers;
using Flagger.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flagger.Analysis;

/// <summary>
/// Checks every MetricTemplate and AlertProvider when it appears or changes, not on canary ticks: one that cannot be
/// used gets a <c>Valid=False</c> condition and a Warning event naming the field; the condition goes once it is fixed.
/// Runs while this replica leads.
/// </summary>
public sealed partial class ReferenceMonitor
{
    private readonly IReferencedResourceStore? store;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Lazy<ValidationOptions> options;

    internal ReferenceMonitor(ProviderResolver providers, IReferencedResourceStore? store, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        this.store = store;
        this.time = time;
        logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ReferenceMonitor>();

        // A host that registers no metrics provider or notifier is judged against the built-in names, not against none.
        options = new(() => new ValidationOptions
        {
            KnownMetricsProviders = providers.Known<IMetricsProviderFactory>() is { Count: > 0 } metrics ? metrics : null,
            KnownNotifierTypes = providers.Known<INotifierFactory>() is { Count: > 0 } notifiers ? notifiers : null,
        });
    }

    /// <summary>Follows the MetricTemplates and AlertProviders until cancelled; returns at once when none are watched.</summary>
    /// <param name="cancellationToken">Ends the run (shutdown, or leadership lost).</param>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (store is null)
        {
            return;
        }

        await foreach (var resource in store.WatchAsync(cancellationToken).ConfigureAwait(false))
        {
            var report = ResourceValidity.Review(resource, options.Value, time.GetUtcNow());
            if (report is null)
            {
                continue;
            }

            try
            {
                await store.ReportAsync(resource, report, cancellationToken).ConfigureAwait(false);
                if (report.Warning is { } warning)
                {
                    LogInvalid(resource.Kind, resource.Name, resource.Namespace, warning);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One object the API server would not update must not stop the others; its next change retries.
                LogReportFailed(resource.Kind, resource.Name, resource.Namespace, e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Name}.{Namespace}: {Problem}")]
    private partial void LogInvalid(string kind, string name, string @namespace, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Status of {Kind} {Name}.{Namespace} could not be written: {Error}")]
    private partial void LogReportFailed(string kind, string name, string @namespace, string error);
}
