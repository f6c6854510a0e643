using Microsoft.Extensions.DependencyInjection;

namespace Flagger.Providers;

/// <summary>Finds providers by the names users write (<c>istio</c>, <c>prometheus</c>, <c>Deployment</c>) among keyed services.</summary>
internal sealed class ProviderResolver(IServiceProvider services, IEnumerable<ProviderRegistration> registrations)
{
    private readonly ProviderRegistration[] registrations = registrations.ToArray();

    /// <summary>
    /// The provider for <paramref name="name"/>; versioned names such as <c>appmesh:v1beta2</c> fall back to the
    /// part before the first colon. Never falls back to another provider.
    /// </summary>
    public T Resolve<T>(string role, string name)
        where T : class
    {
        if (services.GetKeyedService<T>(name) is { } exact)
        {
            return exact;
        }

        var colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && services.GetKeyedService<T>(name[..colon]) is { } family)
        {
            return family;
        }

        throw new UnknownProviderException(role, name, Known<T>());
    }

    /// <summary>The provider for <paramref name="name"/> (or its family, as <see cref="Resolve{T}"/>), or null when none is registered.</summary>
    public T? TryResolve<T>(string name)
        where T : class
    {
        if (services.GetKeyedService<T>(name) is { } exact)
        {
            return exact;
        }

        var colon = name.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? services.GetKeyedService<T>(name[..colon]) : null;
    }

    /// <summary>The names registered for a port.</summary>
    public IReadOnlyCollection<string> Known<T>() =>
        registrations.Where(r => r.Port == typeof(T)).Select(r => r.Name).Distinct(StringComparer.Ordinal).ToArray();
}
