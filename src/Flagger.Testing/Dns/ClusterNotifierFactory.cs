using Flagger.Notifications;

namespace Flagger.Testing.Dns;

/// <summary>An AlertProvider address naming a Service posts to the app serving behind it.</summary>
internal sealed class ClusterNotifierFactory(INotifierFactory inner, ClusterDns dns, string searchNamespace) : INotifierFactory
{
    public INotifier Create(NotifierSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!Uri.TryCreate(settings.Address, UriKind.Absolute, out var url))
        {
            return inner.Create(settings);
        }

        try
        {
            var target = dns.Translate(url, searchNamespace);
            return inner.Create(ReferenceEquals(target, url) ? settings : settings with { Address = target.ToString() });
        }
        catch (HttpRequestException e)
        {
            return new Unreachable(e);
        }
    }

    private sealed class Unreachable(HttpRequestException error) : INotifier
    {
        public Task PostAsync(Notification notification, CancellationToken cancellationToken) =>
            Task.FromException(new HttpRequestException(error.HttpRequestError, error.Message, error));
    }
}
