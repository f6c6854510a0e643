using Flagger.Kubernetes.Client;
using k8s;
using k8s.Exceptions;

namespace Flagger.Cli;

/// <summary>
/// The cluster as kubectl finds it: <c>--kubeconfig</c>, else <c>KUBECONFIG</c>, else <c>~/.kube/config</c>, else the
/// in-cluster service account; <c>--context</c> picks the context and <c>-n</c> overrides its namespace.
/// </summary>
internal sealed class KubeConnection : IDisposable
{
    private readonly k8s.Kubernetes kubernetes;

    private KubeConnection(k8s.Kubernetes kubernetes, string @namespace)
    {
        this.kubernetes = kubernetes;
        Namespace = @namespace;
        Client = new FlaggerClient(kubernetes);
    }

    public FlaggerClient Client { get; }

    public IKubernetes Kubernetes => kubernetes;

    /// <summary>The namespace a command acts in: <c>-n</c>, else the context's, else <c>default</c>.</summary>
    public string Namespace { get; }

    public static KubeConnection Open(string? kubeconfig, string? context, string? @namespace)
    {
        KubernetesClientConfiguration configuration;
        try
        {
            configuration = Load(kubeconfig, context);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException)
        {
            var source = kubeconfig is not null ? $"--kubeconfig {kubeconfig}" : "the kubeconfig";
            throw new UsageException($"cannot use {source}: {FirstLine(e.Message)}");
        }

        return new KubeConnection(new k8s.Kubernetes(configuration), string.IsNullOrEmpty(@namespace) ? configuration.Namespace ?? "default" : @namespace);
    }

    public void Dispose() => kubernetes.Dispose();

    private static KubernetesClientConfiguration Load(string? kubeconfig, string? context)
    {
        if (kubeconfig is not null)
        {
            return File.Exists(kubeconfig)
                ? KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, context)
                : throw new UsageException($"--kubeconfig {kubeconfig}: no such file");
        }

        var fromEnvironment = Environment.GetEnvironmentVariable("KUBECONFIG")?
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(File.Exists);
        var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        var path = fromEnvironment ?? (File.Exists(home) ? home : null);
        if (path is not null)
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context);
        }

        if (KubernetesClientConfiguration.IsInCluster())
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }

        throw new UsageException("no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config");
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
