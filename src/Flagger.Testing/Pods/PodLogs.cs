using System.Text.Json.Nodes;
using Flagger.Testing.Storage;

namespace Flagger.Testing.Pods;

/// <summary>
/// Where simulated pods' logs come from. A pod with no attached feed has an empty log, like a container that
/// printed nothing. Attach a feed to the pods of a label selector or a name prefix:
/// <code>
/// var feed = new PodLogFeed();
/// using var attached = cluster.PodLogs.AttachBySelector("istio-system", "app=flagger", feed);
/// feed.Append("{\"level\":\"info\",\"msg\":\"Starting operator\"}");
/// // kubectl -n istio-system logs deployment/flagger
/// </code>
/// </summary>
public sealed class PodLogs
{
    private readonly object _gate = new();
    private readonly List<Attachment> _attachments = [];

    internal PodLogs()
    {
    }

    /// <summary>Attaches <paramref name="feed"/> to every pod of <paramref name="namespace"/> matching a label selector.</summary>
    /// <param name="namespace">The pods' namespace.</param>
    /// <param name="labelSelector">A label selector as kubectl writes it, e.g. <c>app=flagger</c>.</param>
    /// <param name="feed">The lines the pods print.</param>
    /// <returns>Dispose to detach.</returns>
    public IDisposable AttachBySelector(string @namespace, string labelSelector, PodLogFeed feed)
    {
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        ArgumentException.ThrowIfNullOrEmpty(labelSelector);
        var selector = Selector.ParseLabels(labelSelector);
        return Add(new Attachment(@namespace, pod => selector.Matches(pod), feed));
    }

    /// <summary>Attaches <paramref name="feed"/> to every pod of <paramref name="namespace"/> whose name starts with a prefix.</summary>
    /// <param name="namespace">The pods' namespace.</param>
    /// <param name="podNamePrefix">E.g. <c>flagger-</c> for a Deployment's pods, or a whole pod name.</param>
    /// <param name="feed">The lines the pods print.</param>
    /// <returns>Dispose to detach.</returns>
    public IDisposable AttachByPodPrefix(string @namespace, string podNamePrefix, PodLogFeed feed)
    {
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        ArgumentException.ThrowIfNullOrEmpty(podNamePrefix);
        return Add(new Attachment(@namespace, pod => Meta.Name(pod).StartsWith(podNamePrefix, StringComparison.Ordinal), feed));
    }

    /// <summary>The feed of a pod: the latest attachment that matches it, or null (an empty log).</summary>
    internal PodLogFeed? FeedOf(JsonObject pod)
    {
        var ns = Meta.Namespace(pod);
        lock (_gate)
        {
            return _attachments.LastOrDefault(a => a.Namespace == ns && a.Matches(pod))?.Feed;
        }
    }

    private Attachment Add(Attachment attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment.Feed);
        lock (_gate)
        {
            _attachments.Add(attachment);
        }

        attachment.Detach = () =>
        {
            lock (_gate)
            {
                _attachments.Remove(attachment);
            }
        };
        return attachment;
    }

    private sealed class Attachment(string ns, Func<JsonObject, bool> matches, PodLogFeed feed) : IDisposable
    {
        public string Namespace { get; } = ns;

        public Func<JsonObject, bool> Matches { get; } = matches;

        public PodLogFeed Feed { get; } = feed;

        public Action Detach { get; set; } = () => { };

        public void Dispose() => Detach();
    }
}
