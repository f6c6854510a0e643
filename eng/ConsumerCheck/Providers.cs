using System.Collections.Concurrent;
using Flagger.Metrics;
using Flagger.Notifications;

namespace ConsumerCheck;

/// <summary>The team's own error-budget service, as far as this check needs it: burn rate per query.</summary>
public sealed class ErrorBudget
{
    public ConcurrentDictionary<string, double> BurnRates { get; } = new();
}

/// <summary>Where the team's chat posts end up in this check.</summary>
public sealed class TeamChat
{
    public ConcurrentQueue<string> Posts { get; } = new();
}

// begin-snippet: writing-a-provider
/// <summary>MetricTemplates with <c>spec.provider.type: error-budget</c> ask the team's error-budget service.</summary>
public sealed class ErrorBudgetMetrics(ErrorBudget budget) : IMetricsProviderFactory
{
    public IMetricsProvider Create(MetricsProviderSettings settings) => new Client(budget);

    private sealed class Client(ErrorBudget budget) : IMetricsProvider
    {
        // The query is the MetricTemplate's spec.query after {{ namespace }}, {{ target }}... are rendered.
        public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken) =>
            Task.FromResult(budget.BurnRates.TryGetValue(query, out var burn)
                ? MetricQueryResult.Of(burn)
                : MetricQueryResult.NoValues($"no burn rate recorded for '{query}'"));

        public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) =>
            Task.FromResult(ProviderHealth.Online);
    }
}

/// <summary>AlertProviders with <c>spec.type: team-chat</c> post to the team's chat.</summary>
public sealed class TeamChatNotifier(TeamChat chat) : INotifierFactory, INotifier
{
    public INotifier Create(NotifierSettings settings) => this;

    public Task PostAsync(Notification notification, CancellationToken cancellationToken)
    {
        chat.Posts.Enqueue($"{notification.Workload}.{notification.Namespace}: {notification.Message}");
        return Task.CompletedTask;
    }
}
// end-snippet
