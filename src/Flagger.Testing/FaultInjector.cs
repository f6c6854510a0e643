namespace Flagger.Testing;

/// <summary>
/// Makes the embedded API server misbehave on purpose: fail a fraction of requests with an HTTP status, hang
/// them until the client gives up, add latency, or drop open watch streams. Rules apply in the order added;
/// the first failing rule wins. Latency and hangs use wall-clock time, not the cluster's <see cref="TimeProvider"/>.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<Rule> _rules = [];
    private readonly Random _random;
    private Action? _dropWatches;

    internal FaultInjector(int? seed) => _random = seed is { } s ? new Random(s) : new Random();

    /// <summary>Answers a fraction of matching requests with <paramref name="statusCode"/> (500, 409, 429, ...) and a Status body.</summary>
    /// <param name="fraction">0.0–1.0; 1.0 fails every matching request.</param>
    /// <param name="statusCode">HTTP status to answer with.</param>
    /// <param name="when">Optional filter; null matches every resource request.</param>
    public void FailRequests(double fraction, int statusCode = 500, Func<ApiRequestInfo, bool>? when = null) =>
        Add(new Rule(fraction, when, statusCode, TimeSpan.Zero, Hang: false));

    /// <summary>Never answers a fraction of matching requests: the connection is held until the client times out or cancels.</summary>
    /// <param name="fraction">0.0–1.0.</param>
    /// <param name="when">Optional filter.</param>
    public void TimeOutRequests(double fraction, Func<ApiRequestInfo, bool>? when = null) =>
        Add(new Rule(fraction, when, 0, TimeSpan.Zero, Hang: true));

    /// <summary>Delays every matching request by <paramref name="latency"/> before it is served.</summary>
    /// <param name="latency">Added wall-clock delay.</param>
    /// <param name="when">Optional filter.</param>
    public void AddLatency(TimeSpan latency, Func<ApiRequestInfo, bool>? when = null) =>
        Add(new Rule(1.0, when, 0, latency, Hang: false));

    /// <summary>
    /// Sends every event of matching watch streams opened from now on as a line no client can read (an event whose
    /// object is a string), as a proxy that mangles the stream or a server newer than the client would.
    /// </summary>
    /// <param name="when">Optional filter on the watch request; null garbles every watch.</param>
    public void GarbleWatchEvents(Func<ApiRequestInfo, bool>? when = null) =>
        Add(new Rule(1.0, when, 0, TimeSpan.Zero, Hang: false, Garble: true));

    /// <summary>Ends every watch stream open right now; clients see the stream close and must resume.</summary>
    public void DropWatches() => _dropWatches?.Invoke();

    /// <summary>Removes every rule.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    internal void OnDropWatches(Action drop) => _dropWatches = drop;

    /// <summary>Decides what happens to one request: extra latency, then a failure status, a hang, or nothing.</summary>
    internal (TimeSpan Latency, int FailWith, bool Hang) Decide(ApiRequestInfo request)
    {
        lock (_gate)
        {
            var latency = TimeSpan.Zero;
            foreach (var rule in _rules)
            {
                if (rule.When is not null && !rule.When(request))
                {
                    continue;
                }

                latency += rule.Latency;
                if ((rule.StatusCode != 0 || rule.Hang) && _random.NextDouble() < rule.Fraction)
                {
                    return (latency, rule.StatusCode, rule.Hang);
                }
            }

            return (latency, 0, false);
        }
    }

    private void Add(Rule rule)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rule.Fraction, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rule.Fraction, 1.0);
        lock (_gate)
        {
            _rules.Add(rule);
        }
    }

    /// <summary>Whether a watch being opened must send its events garbled.</summary>
    internal bool Garbles(ApiRequestInfo request)
    {
        lock (_gate)
        {
            return _rules.Any(rule => rule.Garble && (rule.When is null || rule.When(request)));
        }
    }

    private sealed record Rule(double Fraction, Func<ApiRequestInfo, bool>? When, int StatusCode, TimeSpan Latency, bool Hang, bool Garble = false);
}
