namespace Flagger.Model.Validation;

/// <summary>Rules for <c>analysis.alerts</c>: names, severities and the AlertProviders they post through.</summary>
internal static class AlertRules
{
    public static void Validate(IReadOnlyList<CanaryAlert?>? alerts, AnalysisContext context)
    {
        if (alerts is null)
        {
            return;
        }

        var problems = context.Problems;
        for (var i = 0; i < alerts.Count; i++)
        {
            var path = ProblemList.Index($"{context.Path}.alerts", i);
            if (alerts[i] is not { } alert)
            {
                problems.Add(path, "must not be empty; give the alert a name and providerRef");
                continue;
            }

            problems.Required($"{path}.name", alert.Name);

            // Empty means info (departure 6); Flagger's own filter would send such an alert nothing.
            if (!string.IsNullOrEmpty(alert.Severity) && alert.Severity is not ("info" or "warn" or "error"))
            {
                problems.Add($"{path}.severity", $"must be info, warn or error, got {ProblemList.Quote(alert.Severity)}");
            }

            if (alert.ProviderRef is not { } provider)
            {
                problems.Add($"{path}.providerRef", "required; name the AlertProvider to post through");
                continue;
            }

            problems.Required($"{path}.providerRef.name", provider.Name, "the AlertProvider to post through");
            problems.SameNamespace($"{path}.providerRef.namespace", provider, context.CanaryNamespace, "alert provider", context.Options);
        }
    }
}
