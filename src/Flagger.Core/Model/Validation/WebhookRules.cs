namespace Flagger.Model.Validation;

/// <summary>Rules for <c>analysis.webhooks</c>: names, types, addresses and call settings.</summary>
internal static class WebhookRules
{
    public static void Validate(IReadOnlyList<CanaryWebhook?>? webhooks, AnalysisContext context)
    {
        if (webhooks is null)
        {
            return;
        }

        var problems = context.Problems;
        var names = new UniqueNames("webhook", $"{context.Path}.webhooks");
        for (var i = 0; i < webhooks.Count; i++)
        {
            var path = ProblemList.Index($"{context.Path}.webhooks", i);
            if (webhooks[i] is not { } webhook)
            {
                problems.Add(path, "must not be empty; give the webhook a name and url");
                continue;
            }

            problems.Required($"{path}.name", webhook.Name, "it appears in the events about this hook");
            names.Check(webhook.Name, i, problems);

            // An empty type is a rollout hook, as in Flagger.
            if (!string.IsNullOrEmpty(webhook.Type) && !WebhookTypes.All.Contains(webhook.Type, StringComparer.Ordinal))
            {
                problems.Add($"{path}.type", $"unknown type {ProblemList.Quote(webhook.Type)}; known types are {ProblemList.List(WebhookTypes.All)}");
            }

            if (string.IsNullOrWhiteSpace(webhook.Url))
            {
                problems.Add($"{path}.url", "required; the address the payload is POSTed to");
            }
            else if (!ProblemList.IsHttpAddress(webhook.Url))
            {
                problems.Add($"{path}.url", $"must be an absolute http or https URL, got {ProblemList.QuoteAddress(webhook.Url)}");
            }

            problems.Duration($"{path}.timeout", webhook.Timeout, "10s", FieldLimits.MaxWebhookTimeout);
            problems.InRange($"{path}.retries", webhook.Retries, 0, FieldLimits.MaxWebhookRetries);
        }
    }
}
