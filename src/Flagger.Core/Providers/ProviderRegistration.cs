namespace Flagger.Providers;

/// <summary>Records that a provider is registered for a port under a name, so errors can list the known names.</summary>
/// <param name="Port">The port interface.</param>
/// <param name="Name">The name users write in YAML.</param>
public sealed record ProviderRegistration(Type Port, string Name);
