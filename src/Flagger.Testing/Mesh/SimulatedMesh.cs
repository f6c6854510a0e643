namespace Flagger.Testing.Mesh;

/// <summary>
/// Istio on the embedded cluster, as far as metrics go: requests sent to in-cluster hosts (<see cref="Send"/>)
/// are split by the VirtualService weights and Service selectors in the cluster, answered by each workload with the
/// faults its pod template asks for (<c>FLAGGER_SIM_ERROR_PERCENT</c>, <c>FLAGGER_SIM_LATENCY_MS</c>), and counted
/// as Istio's <c>istio_requests_total</c> and <c>istio_request_duration_milliseconds</c> series. Requests sent from
/// inside pods (<c>kubectl exec tester -- curl http://podinfo-canary:9898/status/500</c>) go through the mesh too and
/// are counted with the status and duration they were answered with. No traffic is invented: a workload nobody
/// sends to has no rates, as in a real mesh.
/// </summary>
public sealed class SimulatedMesh : IDisposable
{
    private readonly Lock _gate = new();
    private readonly MeshRouting _routing;
    private readonly TimeProvider _time;
    private readonly SimulatedMeshOptions _options;
    private readonly List<Flow> _flows = [];
    private readonly Dictionary<(string Namespace, string Workload), WorkloadCounters> _counters = [];
    private readonly Dictionary<(string Namespace, string Workload), List<(DateTimeOffset At, WorkloadCounters Counters)>> _scrapes = [];
    private readonly ITimer _scraper;
    private readonly IDisposable _podTraffic;
    private readonly IDisposable _hey;
    private DateTimeOffset _accountedUntil;

    private SimulatedMesh(EmbeddedCluster cluster, SimulatedMeshOptions options)
    {
        _options = options;
        _time = options.TimeProvider ?? cluster.Options.TimeProvider;
        _routing = new MeshRouting(cluster.Store);
        _accountedUntil = _time.GetUtcNow();
        _scraper = _time.CreateTimer(_ => Scrape(), null, options.ScrapeInterval, options.ScrapeInterval);
        _podTraffic = cluster.PodNetwork.Use(CountPodRequestAsync);
        _hey = cluster.PodCommands.Add("hey", (context, ct) => MeshHey.RunAsync(this, context, ct));
    }

    /// <summary>Starts a mesh over <paramref name="cluster"/>'s objects.</summary>
    /// <param name="cluster">The cluster whose VirtualServices, Services and Deployments route requests.</param>
    /// <param name="options">Clock, scrape interval and base latency; defaults when null.</param>
    /// <returns>The mesh; dispose it to stop counting.</returns>
    public static SimulatedMesh Start(EmbeddedCluster cluster, SimulatedMeshOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return new SimulatedMesh(cluster, options ?? new SimulatedMeshOptions());
    }

    /// <summary>The mesh's clock.</summary>
    public TimeProvider Time => _time;

    /// <summary>The scrape interval of the simulated Prometheus behind <see cref="Increase"/>.</summary>
    public TimeSpan ScrapeInterval => _options.ScrapeInterval;

    /// <summary>
    /// Sends <paramref name="requestsPerSecond"/> requests a second to <paramref name="url"/> for
    /// <paramref name="duration"/> from now, as a load generator in namespace <paramref name="fromNamespace"/> would.
    /// </summary>
    /// <param name="url">An in-cluster address such as <c>http://podinfo-canary.test:9898/</c>.</param>
    /// <param name="requestsPerSecond">Request rate.</param>
    /// <param name="duration">How long to send for.</param>
    /// <param name="fromNamespace">Namespace that short host names resolve in.</param>
    /// <returns>Null when sent, or why not (the host names no Service), in the words of a failed DNS lookup.</returns>
    public string? Send(Uri url, double requestsPerSecond, TimeSpan duration, string fromNamespace = "default") =>
        SendRequests(url, requestsPerSecond, duration, fromNamespace, null);

    /// <summary>
    /// Sends requests as <see cref="Send(Uri, double, TimeSpan, string)"/> does, with the method and headers that the
    /// VirtualService's <c>match</c> rules route by (A/B testing's cookie or header).
    /// </summary>
    /// <param name="url">An in-cluster address.</param>
    /// <param name="requestsPerSecond">Request rate.</param>
    /// <param name="duration">How long to send for.</param>
    /// <param name="fromNamespace">Namespace that short host names resolve in.</param>
    /// <param name="request">Method and headers; null for a plain GET of the URL's path.</param>
    /// <returns>Null when sent, or why not.</returns>
    public string? SendRequests(Uri url, double requestsPerSecond, TimeSpan duration, string fromNamespace, MeshRequest? request)
    {
        ArgumentNullException.ThrowIfNull(url);
        request ??= MeshRequest.Default with { Path = url.PathAndQuery };
        if (ResolveService(url.Host, fromNamespace) is null)
        {
            return $"dial tcp: lookup {url.Host}: no such host";
        }

        lock (_gate)
        {
            Account(_time.GetUtcNow());
            var now = _time.GetUtcNow();
            _flows.Add(new Flow(url.Host, fromNamespace, requestsPerSecond, now, now + duration, request));
        }

        return null;
    }

    /// <summary>
    /// Sends requests with the Host header <paramref name="host"/> to <paramref name="url"/>, as <c>hey -host</c> does;
    /// a Gateway's Service routes them by the HTTPRoutes whose hostnames take that host.
    /// </summary>
    /// <param name="url">An in-cluster address, typically the Service in front of a Gateway.</param>
    /// <param name="host">The Host header, such as <c>www.example.com</c>.</param>
    /// <param name="requestsPerSecond">Request rate.</param>
    /// <param name="duration">How long to send for.</param>
    /// <param name="fromNamespace">Namespace that short host names resolve in.</param>
    /// <returns>Null when sent, or why not (the URL's host names no Service).</returns>
    public string? SendToGateway(Uri url, string host, double requestsPerSecond, TimeSpan duration, string fromNamespace)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (ResolveService(url.Host, fromNamespace) is null)
        {
            return $"dial tcp: lookup {url.Host}: no such host";
        }

        lock (_gate)
        {
            Account(_time.GetUtcNow());
            var now = _time.GetUtcNow();
            _flows.Add(new Flow(url.Host, fromNamespace, requestsPerSecond, now, now + duration, MeshRequest.Default with { Path = url.PathAndQuery }) { Gateway = new GatewayRequest(host, url.PathAndQuery) });
        }

        return null;
    }

    /// <summary>The Service an in-cluster host names, or null when the cluster has none (what DNS would answer).</summary>
    /// <param name="host"><c>name</c>, <c>name.namespace</c> or <c>name.namespace.svc.cluster.local</c>.</param>
    /// <param name="fromNamespace">Namespace that a short name resolves in.</param>
    /// <returns>The Service's namespace and name, or null.</returns>
    public (string Namespace, string Name)? ResolveService(string host, string fromNamespace = "default")
    {
        ArgumentNullException.ThrowIfNull(host);
        return _routing.ResolveService(host, fromNamespace);
    }

    /// <summary>Every workload's counters now, as a scrape would read them.</summary>
    /// <returns>One entry per workload that has answered requests.</returns>
    public IReadOnlyList<WorkloadCounters> Counters()
    {
        lock (_gate)
        {
            Account(_time.GetUtcNow());
            return [.. _counters.Values];
        }
    }

    /// <summary>
    /// What the workloads matching <paramref name="workloadPattern"/> answered over the last <paramref name="window"/>,
    /// from the scrapes in that window, as <c>rate(...[window])</c> sees it; null when fewer than two scrapes or
    /// no requests fall in it (Prometheus' empty result).
    /// </summary>
    /// <param name="ns">Namespace of the workloads.</param>
    /// <param name="workloadPattern">Regular expression matched against the whole workload name (PromQL's <c>=~</c>).</param>
    /// <param name="window">The range.</param>
    /// <returns>The increase of the summed counters, or null.</returns>
    public WorkloadCounters? Increase(string ns, string workloadPattern, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(workloadPattern);
        var matcher = new System.Text.RegularExpressions.Regex($"^(?:{workloadPattern})$", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            WorkloadCounters? sum = null;
            foreach (var ((workloadNs, workload), scrapes) in _scrapes)
            {
                if (workloadNs != ns || !matcher.IsMatch(workload))
                {
                    continue;
                }

                var inWindow = scrapes.Where(s => s.At > now - window && s.At <= now).ToList();
                if (inWindow.Count < 2)
                {
                    continue;
                }

                var increase = inWindow[^1].Counters.Minus(inWindow[0].Counters);
                sum = sum is null ? increase with { Workload = workloadPattern } : sum with
                {
                    Total = sum.Total + increase.Total,
                    Failed = sum.Failed + increase.Failed,
                    Buckets = [.. sum.Buckets.Select((b, i) => b + increase.Buckets[i])],
                };
            }

            return sum is { Total: > 0 } ? sum : null;
        }
    }

    /// <summary>Stops counting.</summary>
    public void Dispose()
    {
        _scraper.Dispose();
        _podTraffic.Dispose();
        _hey.Dispose();
    }

    /// <summary>
    /// A request from a pod, counted like a flow's: split by the VirtualService weights, failed when the answer was a
    /// 5xx (or, for an answer that was not, as often as the destination's revision faults say), as slow as it took.
    /// </summary>
    private async Task<Pods.ClusterHttpResponse> CountPodRequestAsync(Pods.ClusterHttpRequest request, Pods.ClusterHttpHandler next, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var response = await next(request, cancellationToken).ConfigureAwait(false);
        if (response.ConnectionError is not null)
        {
            return response;
        }

        var milliseconds = Math.Max(_options.BaseP99Milliseconds, _time.GetElapsedTime(started).TotalMilliseconds);
        lock (_gate)
        {
            Account(_time.GetUtcNow());
            Count($"{request.ServiceName}.{request.ServiceNamespace}", request.ServiceNamespace, 1, response.StatusCode >= 500, milliseconds, MeshRequest.Default with { Path = request.PathAndQuery, Method = request.Method });
        }

        return response;
    }

    private void Scrape()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            Account(now);
            foreach (var (key, counters) in _counters)
            {
                if (!_scrapes.TryGetValue(key, out var scrapes))
                {
                    _scrapes[key] = scrapes = [];
                }

                scrapes.Add((now, counters));
                scrapes.RemoveAll(s => s.At < now - _options.Retention);
            }
        }
    }

    /// <summary>Counts the requests of every flow up to <paramref name="now"/> with the routes as they are now.</summary>
    private void Account(DateTimeOffset now)
    {
        if (now <= _accountedUntil)
        {
            return;
        }

        foreach (var flow in _flows)
        {
            var from = flow.Start > _accountedUntil ? flow.Start : _accountedUntil;
            var to = flow.End < now ? flow.End : now;
            if (to <= from)
            {
                continue;
            }

            Count(flow.Host, flow.FromNamespace, flow.RequestsPerSecond * (to - from).TotalSeconds, answeredWith5xx: false, _options.BaseP99Milliseconds, flow.Request, flow.Gateway);
        }

        _flows.RemoveAll(f => f.End <= now);
        _accountedUntil = now;
    }

    /// <summary>
    /// Counts <paramref name="requests"/> to <paramref name="host"/>, split by the routes as they are now; each
    /// destination fails as often as its revision's faults say, or always when the answer was already a 5xx.
    /// </summary>
    private void Count(string host, string fromNamespace, double requests, bool answeredWith5xx, double p99Milliseconds, MeshRequest request, GatewayRequest? gateway = null)
    {
        foreach (var destination in _routing.Route(host, fromNamespace, request, gateway))
        {
            var faults = RevisionFaults.From(destination.Template);
            var key = (destination.Namespace, destination.Workload);
            var counters = _counters.GetValueOrDefault(key) ?? WorkloadCounters.Empty(destination.Namespace, destination.Workload);
            _counters[key] = counters.Add(requests * destination.Share, answeredWith5xx ? 100 : faults.ErrorPercent, p99Milliseconds + faults.AddedLatencyMilliseconds);
        }
    }

    private sealed record Flow(string Host, string FromNamespace, double RequestsPerSecond, DateTimeOffset Start, DateTimeOffset End, MeshRequest Request)
    {
        /// <summary>What a Gateway sees of the flow's requests (the Host header of <c>hey -host</c>); null for plain requests.</summary>
        public GatewayRequest? Gateway { get; init; }
    }
}
