using Flagger.Events;
using Flagger.Metrics;
using Flagger.Model;
using Flagger.Notifications;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Targets;
using Flagger.Webhooks;

namespace Flagger.Fakes;

/// <summary>What a port call does instead of answering.</summary>
public enum Fault
{
    /// <summary>Answers as the fake behind it does.</summary>
    None,

    /// <summary>Throws, as an unreachable or refusing server does.</summary>
    Throw,

    /// <summary>Hangs past its client's timeout: the client gives up with a cancellation that is not the tick's.</summary>
    Timeout,

    /// <summary>Answers nonsense.</summary>
    Garbage,
}

/// <summary>
/// Decides, call by call, which port calls fail: flaky calls at a rate, and one call that fails on every attempt
/// once the scenario switches it on. Deterministic for a seed, so a failing scenario replays.
/// </summary>
public sealed class FaultPlan(int seed)
{
    private readonly Random random = new(seed);

    /// <summary>Calls that fail at <see cref="Rate"/>.</summary>
    public HashSet<string> Flaky { get; } = [];

    /// <summary>Probability that a flaky call fails.</summary>
    public double Rate { get; set; }

    /// <summary>A call that fails every time while <see cref="PersistentOn"/>.</summary>
    public string? Persistent { get; set; }

    public bool PersistentOn { get; set; }

    /// <summary>When the persistent call first failed.</summary>
    public DateTimeOffset? PersistentSince { get; private set; }

    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Status writes that reached the store, counted per tick by the test.</summary>
    public int StatusWrites { get; set; }

    public Fault Next(string call)
    {
        if (PersistentOn && call == Persistent)
        {
            PersistentSince ??= Clock.GetUtcNow();
            return Fault.Throw;
        }

        if (!Flaky.Contains(call) || random.NextDouble() >= Rate)
        {
            return Fault.None;
        }

        return (Fault)random.Next(1, 4);
    }

    /// <summary>Throws as the fault says; returns true when the call must answer garbage.</summary>
    public bool Strike(string call)
    {
        switch (Next(call))
        {
            case Fault.Throw:
                throw random.Next(3) switch
                {
                    0 => new HttpRequestException($"{call}: connection refused"),
                    1 => new InvalidOperationException($"{call}: Operation returned an invalid status code 'UnprocessableEntity'"),
                    _ => Bug(),
                };
            case Fault.Timeout:
                throw new TaskCanceledException($"{call}: the request was canceled due to the configured HttpClient.Timeout of 5 seconds elapsing");
            case Fault.Garbage:
                return true;
            default:
                return false;
        }
    }

    public int NextInt(int max) => random.Next(max);

    // A real null dereference, as a provider with a bug makes: the engine must call it an internal error.
    private static Exception Bug()
    {
        try
        {
            object? nothing = null;
            _ = nothing!.GetHashCode();
            return new InvalidOperationException("unreachable");
        }
        catch (NullReferenceException e)
        {
            return e;
        }
    }
}

public sealed class FaultyMesh(SimulatedMesh inner, FaultPlan plan) : IMeshRouter
{
    public Task ReconcileAsync(Canary canary, CancellationToken cancellationToken)
    {
        plan.Strike("mesh.reconcile");
        return inner.ReconcileAsync(canary, cancellationToken);
    }

    public Task SetRoutesAsync(Canary canary, TrafficRoutes routes, CancellationToken cancellationToken)
    {
        plan.Strike("mesh.set");
        return inner.SetRoutesAsync(canary, routes, cancellationToken);
    }

    public Task<TrafficRoutes> GetRoutesAsync(Canary canary, CancellationToken cancellationToken) =>
        plan.Strike("mesh.get") ? Task.FromResult(new TrafficRoutes(37, 250 + plan.NextInt(5))) : inner.GetRoutesAsync(canary, cancellationToken);

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => inner.FinalizeAsync(canary, cancellationToken);
}

public sealed class FaultyServices(SimulatedServices inner, FaultPlan plan) : IServiceRouter
{
    public Task InitializeAsync(Canary canary, CancellationToken cancellationToken)
    {
        plan.Strike("services.init");
        return inner.InitializeAsync(canary, cancellationToken);
    }

    public Task ReconcileAsync(Canary canary, CancellationToken cancellationToken)
    {
        plan.Strike("services.reconcile");
        return inner.ReconcileAsync(canary, cancellationToken);
    }

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => inner.FinalizeAsync(canary, cancellationToken);
}

public sealed class FaultyWorkload(SimulatedWorkload inner, FaultPlan plan) : ITargetController
{
    public Task<Readiness> InitializeAsync(Canary canary, bool requirePrimaryReady, CancellationToken cancellationToken) =>
        plan.Strike("target.init") ? Task.FromResult(Readiness.Wait(string.Empty)) : inner.InitializeAsync(canary, requirePrimaryReady, cancellationToken);

    public Task<Readiness> IsPrimaryReadyAsync(Canary canary, CancellationToken cancellationToken) =>
        plan.Strike("target.primaryReady") ? Task.FromResult(Readiness.Wait(new string('?', 5000))) : inner.IsPrimaryReadyAsync(canary, cancellationToken);

    public Task<Readiness> IsCanaryReadyAsync(Canary canary, CancellationToken cancellationToken) =>
        plan.Strike("target.canaryReady") ? Task.FromResult(Readiness.Wait(string.Empty)) : inner.IsCanaryReadyAsync(canary, cancellationToken);

    public Task<TargetRevision> GetRevisionAsync(Canary canary, CancellationToken cancellationToken) =>
        plan.Strike("target.revision") ? Task.FromResult(new TargetRevision($"garbage-{plan.NextInt(1000)}")) : inner.GetRevisionAsync(canary, cancellationToken);

    public Task PromoteAsync(Canary canary, CancellationToken cancellationToken)
    {
        plan.Strike("target.promote");
        return inner.PromoteAsync(canary, cancellationToken);
    }

    public Task ScaleToZeroAsync(Canary canary, CancellationToken cancellationToken)
    {
        plan.Strike("target.scaleToZero");
        return inner.ScaleToZeroAsync(canary, cancellationToken);
    }

    public Task ScaleFromZeroAsync(Canary canary, CancellationToken cancellationToken)
    {
        plan.Strike("target.scaleFromZero");
        return inner.ScaleFromZeroAsync(canary, cancellationToken);
    }

    public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => inner.FinalizeAsync(canary, cancellationToken);
}

/// <summary>The store: status writes may fail; reads of the canary never do (the engine's caller handles those).</summary>
public sealed class FaultyStore(InMemoryCanaryStore inner, FaultPlan plan) : ICanaryStore, ISecretReader
{
    public Task<Canary?> GetCanaryAsync(string @namespace, string name, CancellationToken cancellationToken) => inner.GetCanaryAsync(@namespace, name, cancellationToken);

    public Task<Canary> UpdateStatusAsync(Canary canary, CanaryStatus status, CancellationToken cancellationToken)
    {
        plan.Strike("store.status");
        plan.StatusWrites++;
        return inner.UpdateStatusAsync(canary, status, cancellationToken);
    }

    public Task<MetricTemplate?> GetMetricTemplateAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        plan.Strike("store.template");
        return inner.GetMetricTemplateAsync(@namespace, name, cancellationToken);
    }

    public Task<AlertProvider?> GetAlertProviderAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        plan.Strike("store.alertProvider") ? Task.FromResult<AlertProvider?>(new AlertProvider { Metadata = new ObjectMetadata { Name = name }, Spec = new AlertProviderSpec() }) : inner.GetAlertProviderAsync(@namespace, name, cancellationToken);

    public Task<IReadOnlyDictionary<string, string>?> GetSecretDataAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        inner.GetSecretDataAsync(@namespace, name, cancellationToken);
}

public sealed class FaultyMetrics(ScriptedMetrics inner, FaultPlan plan) : IMetricsProviderFactory, IMetricsProvider
{
    private static readonly double[] Nonsense = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -1, double.MaxValue, double.Epsilon];

    public IMetricsProvider Create(MetricsProviderSettings settings)
    {
        plan.Strike("metrics.create");
        inner.Create(settings);
        return this;
    }

    public Task<MetricQueryResult> RunQueryAsync(string query, CancellationToken cancellationToken) =>
        plan.Strike("metrics.query") ? Task.FromResult(MetricQueryResult.Of(Nonsense[plan.NextInt(Nonsense.Length)])) : inner.RunQueryAsync(query, cancellationToken);

    public Task<ProviderHealth> CheckHealthAsync(CancellationToken cancellationToken) =>
        plan.Strike("metrics.health") ? Task.FromResult(new ProviderHealth(false, string.Empty)) : inner.CheckHealthAsync(cancellationToken);
}

public sealed class FaultyWebhooks(ScriptedWebhooks inner, FaultPlan plan) : IWebhookClient
{
    public Task<WebhookResult> CallAsync(CanaryWebhook webhook, WebhookPayload payload, CancellationToken cancellationToken) =>
        plan.Strike($"webhook.{webhook.Type}") ? Task.FromResult(WebhookResult.Failure(new string('\u0000', 10_000))) : inner.CallAsync(webhook, payload, cancellationToken);
}

public sealed class FaultyNotifier(RecordingNotifier inner, FaultPlan plan) : INotifierFactory, INotifier
{
    public INotifier Create(NotifierSettings settings)
    {
        plan.Strike("notifier.create");
        inner.Create(settings);
        return this;
    }

    public Task PostAsync(Notification notification, CancellationToken cancellationToken) =>
        plan.Strike("notifier.post") ? Task.FromException(new FormatException("garbage")) : inner.PostAsync(notification, cancellationToken);
}

public sealed class FaultyRecorder(RecordingEventRecorder inner, FaultPlan plan) : IEventRecorder
{
    public Task RecordAsync(Canary canary, CanaryEvent canaryEvent, CancellationToken cancellationToken)
    {
        plan.Strike("recorder");
        return inner.RecordAsync(canary, canaryEvent, cancellationToken);
    }
}
