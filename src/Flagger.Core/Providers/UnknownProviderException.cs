namespace Flagger.Providers;

/// <summary>A provider name no registered provider answers to.</summary>
public sealed class UnknownProviderException : Exception
{
    /// <summary>Creates the error for a role (<c>mesh provider</c>, …), the name asked for and the names known.</summary>
    public UnknownProviderException(string role, string name, IReadOnlyCollection<string> known)
        : base($"unknown {role} '{name}'; known: {(known.Count == 0 ? "none registered" : string.Join(", ", known.Order(StringComparer.Ordinal)))}")
    {
        Role = role;
        Name = name;
        Known = known;
    }

    /// <summary>Creates the error with a message.</summary>
    public UnknownProviderException(string message)
        : base(message)
    {
        Role = string.Empty;
        Name = string.Empty;
        Known = [];
    }

    /// <summary>Creates the error with a message and an inner exception.</summary>
    public UnknownProviderException(string message, Exception innerException)
        : base(message, innerException)
    {
        Role = string.Empty;
        Name = string.Empty;
        Known = [];
    }

    /// <summary>Creates an empty error.</summary>
    public UnknownProviderException()
        : this("unknown provider")
    {
    }

    /// <summary>The role of the provider.</summary>
    public string Role { get; }

    /// <summary>The name asked for.</summary>
    public string Name { get; }

    /// <summary>The registered names.</summary>
    public IReadOnlyCollection<string> Known { get; }
}
