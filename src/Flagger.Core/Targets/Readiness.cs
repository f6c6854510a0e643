namespace Flagger.Targets;

/// <summary>Whether a workload is ready: ready, not yet (retry on a later tick), or never (give up and roll back).</summary>
public sealed record Readiness
{
    private Readiness(ReadinessState state, string? reason)
    {
        State = state;
        Reason = reason;
    }

    /// <summary>The verdict.</summary>
    public ReadinessState State { get; }

    /// <summary>Why the workload is not ready; becomes the event text.</summary>
    public string? Reason { get; }

    /// <summary>True when ready.</summary>
    public bool IsReady => State == ReadinessState.Ready;

    /// <summary>The workload is ready.</summary>
    public static Readiness Ready { get; } = new(ReadinessState.Ready, null);

    /// <summary>Not ready yet; ask again on the next tick.</summary>
    public static Readiness Wait(string reason) => new(ReadinessState.Wait, reason);

    /// <summary>Will not become ready (progress deadline exceeded).</summary>
    public static Readiness GiveUp(string reason) => new(ReadinessState.GiveUp, reason);
}

/// <summary>Readiness verdicts.</summary>
public enum ReadinessState
{
    /// <summary>Ready.</summary>
    Ready,

    /// <summary>Not ready yet; retriable.</summary>
    Wait,

    /// <summary>Not ready and past its deadline.</summary>
    GiveUp,
}
