namespace Flagger.Routing;

/// <summary>How traffic is split between primary and canary.</summary>
/// <param name="PrimaryWeight">Percentage to the primary.</param>
/// <param name="CanaryWeight">Percentage to the canary.</param>
/// <param name="Mirrored">Whether primary traffic is also mirrored to the canary.</param>
public readonly record struct TrafficRoutes(int PrimaryWeight, int CanaryWeight, bool Mirrored = false)
{
    /// <summary>Everything to the primary.</summary>
    public static TrafficRoutes AllToPrimary => new(100, 0);

    /// <summary>Everything to the canary.</summary>
    public static TrafficRoutes AllToCanary => new(0, 100);
}
