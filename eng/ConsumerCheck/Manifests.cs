namespace ConsumerCheck;

/// <summary>The walkthrough's podinfo, with a canary analysed by the team's own metrics provider and notifier.</summary>
public static class Manifests
{
    public const string Podinfo = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: test
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: podinfo
          namespace: test
        spec:
          replicas: 2
          selector:
            matchLabels:
              app: podinfo
          template:
            metadata:
              labels:
                app: podinfo
            spec:
              containers:
                - name: podinfod
                  image: quay.io/stefanprodan/podinfo:1.4.0
                  ports:
                    - name: http
                      containerPort: 9898
        ---
        apiVersion: flagger.app/v1beta1
        kind: MetricTemplate
        metadata:
          name: error-budget
          namespace: test
        spec:
          provider:
            type: error-budget
          query: burn_rate{workload="{{ target }}"}
        ---
        apiVersion: flagger.app/v1beta1
        kind: AlertProvider
        metadata:
          name: team-chat
          namespace: test
        spec:
          type: team-chat
          address: http://chat.team.example/hooks/releases
        ---
        apiVersion: flagger.app/v1beta1
        kind: Canary
        metadata:
          name: podinfo
          namespace: test
        spec:
          targetRef:
            apiVersion: apps/v1
            kind: Deployment
            name: podinfo
          service:
            port: 9898
          analysis:
            interval: 1s
            threshold: 2
            maxWeight: 50
            stepWeight: 25
            metrics:
              - name: error-budget-burn
                templateRef:
                  name: error-budget
                thresholdRange:
                  max: 1
                interval: 1m
            alerts:
              - name: team
                severity: info
                providerRef:
                  name: team-chat
        """;

    public const string NewImage = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: podinfo
          namespace: test
        spec:
          template:
            spec:
              containers:
                - name: podinfod
                  image: quay.io/stefanprodan/podinfo:1.4.1
                  ports:
                    - name: http
                      containerPort: 9898
        """;
}
