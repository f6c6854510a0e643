using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Flagger.Analysis.Decisions;
using Flagger.Analysis.Judges;
using Flagger.Model;
using Flagger.Model.Validation;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Store;
using Flagger.Targets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Flagger.Analysis;

/// <summary>
/// Advances one canary by one tick, in three stages: observe (read what the tick needs through the ports), decide
/// (a pure function from that observation to a transition, asking for more reads as it goes), apply (routes, then
/// target, then the status written once, then events and alerts, which are best-effort). Ticks of one canary must
/// not overlap; ticks of different canaries may run concurrently.
/// </summary>
/// <remarks>
/// No port can block a rollback: a read that fails is a value the decision sees, a notifier that hangs is abandoned
/// after the traffic moved, and a failure that outlasts the progress deadline while the canary has traffic rolls it
/// back. See the README's differences table for the failure policy.
/// </remarks>
public sealed partial class CanaryEngine
{
    // More rounds than any decision path asks for (about eight); a decision that keeps asking is a bug.
    private const int MaxObserveRounds = 32;

    private readonly ICanaryStore store;
    private readonly Observer observer;
    private readonly TransitionApplier applier;
    private readonly TimeProvider time;
    private readonly EngineOptions options;
    private readonly ILogger logger;
    private readonly ConditionalWeakTable<Canary, CanaryMemo> memos = [];
    private readonly ConditionalWeakTable<Canary, CanaryMemo>.CreateValueCallback remember;
    private readonly ConcurrentDictionary<(string Namespace, string Name), FailingCall> failing = new();

    // How many entries `failing` holds, read without its locks: almost always 0, and then the lookup is skipped.
    private int failingCanaries;
    private static readonly TickReport NoCanary = new();

    internal CanaryEngine(ProviderResolver providers, ICanaryStore store, Observer observer, TransitionApplier applier, TimeProvider time, IOptions<EngineOptions> options, ILoggerFactory? loggerFactory = null)
    {
        this.store = store;
        this.observer = observer;
        this.applier = applier;
        this.time = time;
        this.options = options.Value;
        logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CanaryEngine>();
        var validation = new Lazy<ValidationOptions>(() => new ValidationOptions
        {
            NoCrossNamespaceRefs = this.options.NoCrossNamespaceRefs,
            MeshProvider = this.options.MeshProvider,
            KnownMeshProviders = providers.Known<IMeshRouter>(),
            MeshProvidersWithoutWeights = [.. providers.Known<IMeshRouter>().Where(p => providers.TryResolve<RouterCapabilities>(p) is { ShiftsWeights: false })],
            TargetKinds = providers.Known<ITargetController>(),
        });
        remember = c => new CanaryMemo(observer.Resolve(c, [.. CanaryValidator.Validate(c, validation.Value), .. NotRunYet(c)], this.options.MeshProvider), c);
    }

    /// <summary>Runs one tick of the canary <paramref name="name"/> in <paramref name="namespace"/>.</summary>
    public Task<TickReport> TickAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var run = RunTickAsync(@namespace, name, cancellationToken);
        if (!run.IsCompletedSuccessfully)
        {
            return run.AsTask();
        }

        // An idle tick that finished synchronously hands out the canary's one cached report task.
        var report = run.Result;
        return report.Canary is { } canary && memos.TryGetValue(canary, out var memo) && ReferenceEquals(memo.IdleReport, report)
            ? memo.IdleTask
            : Task.FromResult(report);
    }

    // The sequential test runs on per-request counts, which only the builtin metrics have (request counters and the
    // duration histogram, read through IComparisonDataProvider); a template or inline query gives one value per
    // sample, which mann-whitney judges. Such a canary is refused, naming the field, rather than judged wrongly.
    private static IEnumerable<ValidationProblem> NotRunYet(Canary canary)
    {
        var metrics = canary.Spec.GetAnalysis()?.Metrics ?? [];
        for (var i = 0; i < metrics.Count; i++)
        {
            var metric = metrics[i];
            if (metric.Comparison is { } comparison && comparison.IsSequential()
                && !(Metrics.BuiltinMetrics.IsBuiltin(metric.Name) && metric.TemplateRef is not { Name.Length: > 0 }))
            {
                yield return new ValidationProblem(
                    string.Create(System.Globalization.CultureInfo.InvariantCulture, $"spec.analysis.metrics[{i}].comparison.method"),
                    "sequential judges per-request counts, which only the builtin request-success-rate and request-duration supply; use mann-whitney for a template or query metric");
            }
        }
    }

    /// <summary>How often the canary ticks: its analysis interval, floored at the engine's minimum.</summary>
    public TimeSpan GetInterval(Canary canary)
    {
        ArgumentNullException.ThrowIfNull(canary);
        return canary.Spec.GetAnalysis().GetInterval(options.MinimumInterval);
    }

    private async ValueTask<TickReport> RunTickAsync(string @namespace, string name, CancellationToken ct)
    {
        var canary = await store.GetCanaryAsync(@namespace, name, ct).ConfigureAwait(false);
        if (canary is null)
        {
            if (failing.TryRemove((@namespace, name), out _))
            {
                Interlocked.Decrement(ref failingCanaries);
            }

            return NoCanary;
        }

        // Canaries are immutable records and watch caches hand out the same instance until the object changes,
        // so an idle canary is validated once, not on every tick.
        var memo = memos.GetValue(canary, remember);
        var key = (canary.Namespace, canary.Name);
        var earlier = Volatile.Read(ref failingCanaries) == 0 ? null : failing.GetValueOrDefault(key);
        Observation o = default;
        Transition transition;
        try
        {
            o = await observer.BeginAsync(canary, time.GetUtcNow(), GetInterval(canary), memo.Ports, memo.Invalid, ct).ConfigureAwait(false);
            if (earlier is not null)
            {
                o = o with { EarlierFailure = earlier.Failure, FailingSince = earlier.Since };
            }

            // Decide, observing what each decision asks for, until one returns a transition.
            var rounds = 0;
            Decision decision;
            while ((decision = TickDecisions.Decide(o)).Transition is null)
            {
                if (++rounds > MaxObserveRounds)
                {
                    throw new InvalidOperationException($"the decision asked for more than {MaxObserveRounds} reads");
                }

                o = await observer.ObserveAsync(o, decision.Need, ct).ConfigureAwait(false);
            }

            transition = decision.Transition;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Not a port failing (those are observed) but the engine itself: a bug. Said once in the log with its
            // stack trace; the canary is told only the step and the type.
            var failure = observer.Fail("the tick's decision", e) with { Internal = true };
            o = o.Canary is null
                ? new Observation { Canary = canary, Now = time.GetUtcNow(), Status = canary.Status ?? new CanaryStatus(), Interval = GetInterval(canary) }
                : o;
            o = o with { Failure = failure };
            transition = new Transition { Status = o.Status, Events = [new(Events.EventSeverity.Warning, TransitionApplier.WarningText(canary, failure))] };
        }

        if (transition.Unchanged && o.Failure is null && earlier is null && (o.Routes is null || o.Status.Phase == CanaryPhase.Failed))
        {
            return memo.IdleReport; // the steady state: nothing happened, nothing to allocate
        }

        var applied = transition.Unchanged
            ? new Applied(null, null, [], null, [])
            : await applier.ApplyAsync(o, transition, ct).ConfigureAwait(false);
        var tickFailure = o.Failure ?? applied.Failure;
        Track(key, canary, earlier, tickFailure, o.Now);
        var written = applied.Stored is not null;
        return new TickReport
        {
            Canary = applied.Stored ?? canary,
            Events = applied.Events,
            Routes = applied.Routes ?? o.Routes,
            Metrics = transition.Metrics,
            Outcome = written && applied.Failure is null ? transition.Outcome : RunOutcome.None,
            StatusWritten = written,
            Failure = tickFailure is null ? null : TransitionApplier.WarningText(canary, tickFailure),
            EffectFailures = applied.EffectFailures,
        };
    }

    // Remembers since when a canary's ticks fail, so that a persistent failure can be escalated; a clean tick forgets.
    private void Track((string, string) key, Canary canary, FailingCall? earlier, PortFailure? failure, DateTimeOffset now)
    {
        if (failure is null)
        {
            if (earlier is not null && failing.TryRemove(key, out _))
            {
                Interlocked.Decrement(ref failingCanaries);
            }

            return;
        }

        var repeated = earlier is not null && earlier.Failure.Call == failure.Call && earlier.Failure.Exception.GetType() == failure.Exception.GetType();
        if (failing.TryAdd(key, new FailingCall(earlier?.Since ?? now, failure)))
        {
            Interlocked.Increment(ref failingCanaries);
        }
        else
        {
            failing[key] = new FailingCall(earlier?.Since ?? now, failure);
        }
        if (repeated)
        {
            return;
        }

        if (failure.Internal)
        {
            LogInternalError(failure.Exception, failure.Call, canary.Id);
        }
        else
        {
            LogPortFailed(failure.Call, canary.Id, failure.Detail);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Internal error in {Step} for canary {Canary}")]
    private partial void LogInternalError(Exception exception, string step, string canary);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Call} failed for canary {Canary}: {Detail}")]
    private partial void LogPortFailed(string call, string canary, string detail);

    /// <summary>A canary's failing call and since when its ticks have failed.</summary>
    private sealed record FailingCall(DateTimeOffset Since, PortFailure Failure);

    /// <summary>
    /// What the engine keeps per canary instance (watch caches hand out the same instance until the object
    /// changes): the validation verdict and resolved providers, and the report of a tick that did nothing, with its
    /// completed task. The benchmark in bench/README.md is why: resolving providers by name on every tick cost more
    /// than the rest of an idle tick.
    /// </summary>
    private sealed class CanaryMemo((TickPorts Ports, string? Invalid) resolved, Canary canary)
    {
        /// <summary>The providers the spec names (resolved once: registrations do not change while the host runs).</summary>
        public TickPorts Ports { get; } = resolved.Ports;

        /// <summary>Why the spec cannot run, or null.</summary>
        public string? Invalid { get; } = resolved.Invalid;

        public TickReport IdleReport { get; } = new() { Canary = canary };

        public Task<TickReport> IdleTask => field ??= Task.FromResult(IdleReport);
    }
}
