namespace Flagger.Reliability.MalformedInput;

/// <summary>
/// The malformed-input corpus: each row an edit of a good object (JsonEdit syntax), the field the answer must name and,
/// for references, a credential it must not repeat. The operator's tests here (MalformedCanaryTests,
/// MalformedReferenceTests) and <c>flagger validate</c>'s (tests/Flagger.Cli.Tests, which links this file) run the
/// same rows, so the CLI rejects every object the operator does, with the same message.
/// </summary>
internal static class MalformedCorpus
{
    public const string GoodCanary = """
        {"apiVersion":"flagger.app/v1beta1","kind":"Canary","metadata":{"name":"podinfo","namespace":"test"},
         "spec":{"targetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"podinfo"},
                 "service":{"port":9898},
                 "analysis":{"interval":"1s","threshold":5,"maxWeight":50,"stepWeight":25}}}
        """;

    public const string Template = """
        {"apiVersion":"flagger.app/v1beta1","kind":"MetricTemplate","metadata":{"name":"t","namespace":"test"},
         "spec":{"provider":{"type":"prometheus","address":"http://prometheus.istio-system:9090"},
                 "query":"sum(rate(istio_requests_total{destination_workload_namespace=\"{{ namespace }}\",destination_workload=\"{{ target }}\"}[{{ interval }}]))"}}
        """;

    public const string Provider = """
        {"apiVersion":"flagger.app/v1beta1","kind":"AlertProvider","metadata":{"name":"p","namespace":"test"},
         "spec":{"type":"slack","channel":"general","address":"https://hooks.slack.com/services/T000/B000/XXXX"}}
        """;

    public static readonly (string Edit, string Field)[] BadCanaries =
    [
        ("spec.analysis.stepWeight=0 & spec.analysis.maxWeight=50", "spec.analysis"),
        ("spec.analysis.stepWeight=150", "spec.analysis.stepWeight"),
        ("spec.analysis.stepWeight=-5", "spec.analysis.stepWeight"),
        ("spec.analysis.maxWeight=5", "spec.analysis.maxWeight"),
        ("spec.analysis.maxWeight=2000000000", "spec.analysis.maxWeight"),
        ("spec.analysis.interval=\"soon\"", "spec.analysis.interval"),
        ("spec.analysis.interval=\"1h\"", "spec.analysis.interval"),
        ("spec.analysis.threshold=-1", "spec.analysis.threshold"),
        ("spec.analysis.stepWeights=[10,10]", "spec.analysis.stepWeights[1]"),
        ("spec.analysis.stepWeights=[0,10]", "spec.analysis.stepWeights[0]"),
        ("spec.analysis.iterations=-1", "spec.analysis.iterations"),
        ("spec.analysis.mirrorWeight=101", "spec.analysis.mirrorWeight"),
        ("spec.analysis-", "spec.analysis"),
        ("spec.targetRef-", "spec.targetRef"),
        ("spec.targetRef.name-", "spec.targetRef.name"),
        ("spec.targetRef.kind=\"Service\"", "spec.targetRef.kind"),
        ("spec.targetRef.kind=\"StatefulSet\"", "spec.targetRef.kind"),
        ("spec.service-", "spec.service"),
        ("spec.service.port=0", "spec.service.port"),
        ("spec.service.port=65536", "spec.service.port"),
        ("spec.service.timeout=\"soon\"", "spec.service.timeout"),
        ("spec.service.retries={\"attempts\":-1}", "spec.service.retries.attempts"),
        ("spec.progressDeadlineSeconds=-1", "spec.progressDeadlineSeconds"),
        ("spec.provider=\"linkerd-but-not-registered\"", "linkerd-but-not-registered"),
        ("spec.analysis.metrics=[{\"name\":\"error-rate\",\"templateRef\":{\"name\":\"t\",\"namespace\":\"other\"}}]", "other"),
        // (A templateRef naming a template that does not exist is reported when analysis reads it, as in Flagger.)
        ("spec.analysis.metrics=[{\"interval\":\"1m\"}]", "spec.analysis.metrics[0].name"),
        ("spec.analysis.webhooks=[{\"name\":\"load\",\"url\":\"not a url\"}]", "spec.analysis.webhooks[0].url"),
        ("spec.analysis.webhooks=[{\"url\":\"http://flagger-loadtester.test/\"}]", "spec.analysis.webhooks[0].name"),
        ("spec.analysis.alerts=[{\"name\":\"on-call\"}]", "spec.analysis.alerts[0].providerRef"),
        ("spec.analysis.stepWeight=\"ten\"", "stepWeight"),
        ("spec.service.port=\"http\"", "port"),
        ("spec.targetRef=\"podinfo\"", "targetRef"),
        ("spec.analysis.metrics={\"name\":\"x\"}", "metrics"),
    ];

    public static readonly (string Edit, string Field, string? Secret)[] BadTemplates =
    [
        ("spec.provider.type=\"datadogg\"", "spec.provider.type", null),
        ("spec.provider.type=\"\"", "spec.provider.type", null),
        ("spec.provider.address-", "spec.provider.address", null),
        ("spec.provider.address=\"prometheus:9090\"", "spec.provider.address", null),
        ("spec.provider.address=\"ftp://admin:hunter2@prometheus?token=abc123\"", "spec.provider.address", "hunter2"),
        ("spec.provider.address=\"prometheus.istio-system:9090/?access_token=abc123\"", "spec.provider.address", "abc123"),
        ("spec.query=\"\"", "spec.query", null),
        ("spec.query=\"sum(up{namespace=\\\"{{ namepsace }}\\\"})\"", "spec.query", null),
        ("spec.provider.secretRef={\"name\":\"\"}", "spec.provider.secretRef.name", null),
        ($"spec.provider.type=\"{new string('x', 100_000)}\"", "spec.provider.type", null),
        ($"spec.query=\"{{{{ {new string('q', 50_000)}\"", "spec.query", null),
        ("spec.query=5", "spec.query", null),
        ("spec.provider=\"prometheus\"", "spec.provider", null),
        ("spec.provider.insecureSkipVerify=\"yes\"", "insecureSkipVerify", null),
        ("spec.provider.headers={\"Authorization\":\"Bearer s3cretHeader\"}", "spec.provider.headers.Authorization", "s3cretHeader"),
        ("spec.provider-", "spec.provider", null),
        ("spec.provider.type-", "type", null),
        ("spec.provider.secretRef={}", "name", null),
        ("spec-", "spec", null),
    ];

    public static readonly (string Edit, string Field, string? Secret)[] BadProviders =
    [
        ("spec.type=\"pagerduty\"", "spec.type", null),
        ("spec.type=\"Slack\"", "spec.type", null),
        ("spec.type=\"\"", "spec.type", null),
        ("spec.address-", "spec.address", null),
        ("spec.address- & spec.channel-", "spec.address", null),
        ("spec.address=\"hooks.slack.com/services/T000/B000/s3cretT0ken\"", "spec.address", "s3cretT0ken"),
        ("spec.address=\"not a url\"", "spec.address", null),
        ("spec.proxy=\"socks5://user:pr0xyPass@proxy:1080\"", "spec.proxy", "pr0xyPass"),
        ("spec.address- & spec.secretRef={\"name\":\"\"}", "spec.secretRef.name", null),
        ($"spec.address=\"{new string('h', 100_000)}\"", "spec.address", "hhhhhhhhhh"),
        ("spec.type=5", "spec.type", null),
        ("spec.type-", "type", null),
        ("spec.address=[\"https://hooks.slack.com/services/T000/B000/XXXX\"]", "spec.address", null),
        ("spec.secretRef=\"slack-secret\"", "spec.secretRef", null),
        ("spec.secretRef={}", "name", null),
        ("spec-", "spec", null),
    ];
}
