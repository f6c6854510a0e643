namespace Flagger.Model.Validation;

/// <summary>Rules for <c>spec.service</c>: the generated Services and the mesh objects built from them.</summary>
internal static class ServiceRules
{
    private const string Path = "spec.service";

    public static void Validate(CanaryService? service, ProblemList problems)
    {
        if (service is null)
        {
            problems.Add(Path, "required; set at least spec.service.port");
            return;
        }

        problems.DerivedName($"{Path}.name", service.Name);
        problems.InRange($"{Path}.port", service.Port, 1, 65535);
        if (service.TargetPort is { IntValue: { } targetPort })
        {
            problems.InRange($"{Path}.targetPort", targetPort, 1, 65535);
        }

        NoEmptyEntries($"{Path}.gateways", service.Gateways, problems);
        NoEmptyEntries($"{Path}.hosts", service.Hosts, problems);

        // A delegate VirtualService is attached to a parent one; Istio rejects it when it names hosts or gateways.
        if (service.Delegation)
        {
            if (service.Hosts is { Count: > 0 })
            {
                problems.Add($"{Path}.hosts", "must be empty when spec.service.delegation is true (a delegate VirtualService has no hosts)");
            }

            if (service.Gateways is { Count: > 0 })
            {
                problems.Add($"{Path}.gateways", "must be empty when spec.service.delegation is true (a delegate VirtualService has no gateways)");
            }
        }

        problems.Duration($"{Path}.timeout", service.Timeout, "30s", FieldLimits.MaxServiceTimeout);
        problems.Duration($"{Path}.backendTimeout", service.BackendTimeout, "30s", FieldLimits.MaxServiceTimeout);
        if (service.Retries is { } retries)
        {
            problems.NotNegative($"{Path}.retries.attempts", retries.Attempts);
            problems.Duration($"{Path}.retries.perTryTimeout", retries.PerTryTimeout, "2s", FieldLimits.MaxServiceTimeout);
        }
    }

    private static void NoEmptyEntries(string path, IReadOnlyList<string>? entries, ProblemList problems)
    {
        if (entries is null)
        {
            return;
        }

        for (var i = 0; i < entries.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(entries[i]))
            {
                problems.Add(ProblemList.Index(path, i), "must not be empty");
            }
        }
    }
}
