// The two workload targets the Kubernetes package registers, by the names their tests use.
global using DaemonSetController = Flagger.Kubernetes.Targets.WorkloadController<k8s.Models.V1DaemonSet, Flagger.Kubernetes.Targets.DaemonSetKind>;
global using DeploymentController = Flagger.Kubernetes.Targets.WorkloadController<k8s.Models.V1Deployment, Flagger.Kubernetes.Targets.DeploymentKind>;
