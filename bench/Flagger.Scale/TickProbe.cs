using System.Collections.Concurrent;
using Flagger.Model;
using Flagger.Targets;
using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Scale;

/// <summary>
/// Which canaries have ticked since <see cref="Arm"/>: every tick that gets past its gates reads the target's
/// revision (<see cref="ITargetController.GetRevisionAsync"/>), so the Deployment controller is wrapped in a
/// pass-through that notes the canary. The scheduler's meter counts ticks but does not say whose.
/// </summary>
public sealed class TickProbe(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string, string), long> seen = new();
    private volatile bool armed;

    /// <summary>Distinct canaries that ticked since <see cref="Arm"/>.</summary>
    public int Ticked => seen.Count;

    /// <summary>When the last of them first ticked (a timestamp of the probe's clock); 0 before any.</summary>
    public long LastFirstTick => seen.IsEmpty ? 0 : seen.Values.Max();

    /// <summary>When the first of them ticked: the caches had listed everything by then.</summary>
    public long FirstTick => seen.IsEmpty ? 0 : seen.Values.Min();

    /// <summary>Forgets what was seen and starts noting ticks.</summary>
    public void Arm()
    {
        seen.Clear();
        armed = true;
    }

    /// <summary>Wraps the <c>Deployment</c> target controller of <paramref name="services"/> (however it was registered).</summary>
    public void Decorate(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var original = services.Single(d => d.ServiceType == typeof(ITargetController) && d.IsKeyedService && Equals(d.ServiceKey, "Deployment"));
        services.Remove(original);
        services.AddKeyedSingleton<ITargetController>("Deployment", (sp, key) => new Probed(Create(sp, key, original), this));
    }

    private static ITargetController Create(IServiceProvider sp, object? key, ServiceDescriptor original) =>
        (ITargetController)(original.KeyedImplementationInstance
            ?? original.KeyedImplementationFactory?.Invoke(sp, key)
            ?? ActivatorUtilities.CreateInstance(sp, original.KeyedImplementationType!));

    private void Note(Canary canary)
    {
        if (armed)
        {
            seen.TryAdd((canary.Namespace, canary.Name), time.GetTimestamp());
        }
    }

    private sealed class Probed(ITargetController inner, TickProbe probe) : ITargetController
    {
        public Task<TargetRevision> GetRevisionAsync(Canary canary, CancellationToken cancellationToken)
        {
            probe.Note(canary);
            return inner.GetRevisionAsync(canary, cancellationToken);
        }

        public Task<Readiness> InitializeAsync(Canary canary, bool requirePrimaryReady, CancellationToken cancellationToken) => inner.InitializeAsync(canary, requirePrimaryReady, cancellationToken);

        public Task<Readiness> IsPrimaryReadyAsync(Canary canary, CancellationToken cancellationToken) => inner.IsPrimaryReadyAsync(canary, cancellationToken);

        public Task<Readiness> IsCanaryReadyAsync(Canary canary, CancellationToken cancellationToken) => inner.IsCanaryReadyAsync(canary, cancellationToken);

        public Task PromoteAsync(Canary canary, CancellationToken cancellationToken) => inner.PromoteAsync(canary, cancellationToken);

        public Task ScaleToZeroAsync(Canary canary, CancellationToken cancellationToken) => inner.ScaleToZeroAsync(canary, cancellationToken);

        public Task ScaleFromZeroAsync(Canary canary, CancellationToken cancellationToken) => inner.ScaleFromZeroAsync(canary, cancellationToken);

        public Task FinalizeAsync(Canary canary, CancellationToken cancellationToken) => inner.FinalizeAsync(canary, cancellationToken);
    }
}
