namespace Flagger.Model.Validation;

/// <summary>Checks an AlertProvider and reports every problem at once.</summary>
public static class AlertProviderValidator
{
    /// <summary>The chat services an AlertProvider can post to.</summary>
    public static IReadOnlyList<string> KnownTypes { get; } = ["slack", "msteams", "discord", "rocket", "gchat"];

    /// <summary>Every problem of <paramref name="provider"/>; empty when alerts can be posted through it.</summary>
    /// <param name="provider">The AlertProvider as read from the API server or a manifest.</param>
    /// <param name="options">The notifier types the operator has registered; the built-in chat services when null.</param>
    public static IReadOnlyList<ValidationProblem> Validate(AlertProvider provider, ValidationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var knownTypes = options?.KnownNotifierTypes ?? KnownTypes;
        var problems = new ProblemList();
        if (provider.Spec is not { } spec)
        {
            problems.Add("spec", "required; an AlertProvider needs spec.type and spec.address or spec.secretRef");
            return problems.Problems;
        }

        if (string.IsNullOrWhiteSpace(spec.Type))
        {
            problems.Add("spec.type", $"required; one of {ProblemList.List(knownTypes)}");
        }
        else if (!knownTypes.Contains(spec.Type, StringComparer.Ordinal))
        {
            problems.Add("spec.type", $"unknown type {ProblemList.Quote(spec.Type)}; known types are {ProblemList.List(knownTypes)}");
        }

        // The address may live in the Secret instead (its `address` key wins), so one of the two is enough.
        if (spec.SecretRef is { } secret)
        {
            problems.Required("spec.secretRef.name", secret.Name, "the Secret holding the address and token");
        }
        else if (string.IsNullOrWhiteSpace(spec.Address))
        {
            problems.Add("spec.address", "required unless spec.secretRef names a Secret with an address key");
        }

        if (!string.IsNullOrWhiteSpace(spec.Address) && !ProblemList.IsHttpAddress(spec.Address))
        {
            // The value is not repeated: a chat webhook URL is the credential (events and status are widely readable).
            problems.Add("spec.address", "must be an absolute http or https URL such as https://hooks.slack.com/services/...; the value given is not shown because it may hold a token");
        }

        if (!string.IsNullOrWhiteSpace(spec.Proxy) && !ProblemList.IsHttpAddress(spec.Proxy))
        {
            problems.Add("spec.proxy", "must be an absolute http or https URL; the value given is not shown because it may hold credentials");
        }

        return problems.Problems;
    }
}
