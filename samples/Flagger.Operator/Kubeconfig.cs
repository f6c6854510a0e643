using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using YamlDotNet.RepresentationModel;

namespace Flagger.Operator;

/// <summary>
/// Reads the <c>-kubeconfig</c> file from YamlDotNet's node tree into the client's kubeconfig model, field by field.
/// Two readers were replaced: KubernetesClient's own loader goes through its <c>KubernetesYaml</c>, whose first use
/// reflects over every model type of the client (about 30 MB resident for the life of the process), and a
/// reflection-based deserializer for the model alone cannot run in the Native AOT build (bench/README.md, "Operator
/// idle memory"). The node tree needs no reflection. In a cluster the operator uses the in-cluster configuration and
/// reads no YAML at all.
/// </summary>
internal static class Kubeconfig
{
    /// <summary>The client configuration of the file's current context, as <c>BuildConfigFromConfigFile</c> builds it.</summary>
    public static KubernetesClientConfiguration Load(string path)
    {
        var file = new FileInfo(path);
        var yaml = new YamlStream();
        using (var reader = file.OpenText())
        {
            yaml.Load(reader);
        }

        if (yaml.Documents is not [{ RootNode: YamlMappingNode root }, ..])
        {
            throw new KubeConfigException($"kubeconfig file {file.FullName} is empty");
        }

        // Relative certificate and key paths resolve against the file's directory, as the client's loader does.
        var config = Read(root, file.FullName);

        // An exec credential plugin is run by ExecCredentials rather than the client (see there); the client builds
        // the rest of the configuration from the same user without it.
        var user = CurrentUser(config);
        var plugin = user?.UserCredentials?.ExternalExecution;
        if (plugin is not null)
        {
            // The client refuses a user without credentials; this stand-in is replaced below.
            user!.UserCredentials.ExternalExecution = null;
            user.UserCredentials.Token = "exec-plugin";
        }

        var configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(config);
        if (plugin is not null)
        {
            if (string.IsNullOrEmpty(plugin.Command))
            {
                throw new KubeConfigException($"user {user!.Name}: exec.command is empty; name the credential plugin to run");
            }

            configuration.AccessToken = null;
            configuration.TokenProvider = new ExecCredentials(plugin, file.DirectoryName, TimeProvider.System);
        }

        return configuration;
    }

    private static User? CurrentUser(K8SConfiguration config)
    {
        var context = config.Contexts.FirstOrDefault(c => c.Name == config.CurrentContext);
        return config.Users.FirstOrDefault(u => u.Name == context?.ContextDetails?.User);
    }

    /// <summary>The model of one kubeconfig document; the fields the client reads, under kubectl's names.</summary>
    internal static K8SConfiguration Read(YamlMappingNode root, string fileName) => new()
    {
        FileName = fileName,
        CurrentContext = Text(root, "current-context"),
        Clusters = Named(root, "clusters", "cluster", (name, cluster) => new Cluster
        {
            Name = name,
            ClusterEndpoint = new ClusterEndpoint
            {
                Server = Text(cluster, "server"),
                CertificateAuthority = Text(cluster, "certificate-authority"),
                CertificateAuthorityData = Text(cluster, "certificate-authority-data"),
                TlsServerName = Text(cluster, "tls-server-name"),
                SkipTlsVerify = bool.TryParse(Text(cluster, "insecure-skip-tls-verify"), out var skip) && skip,
            },
        }),
        Contexts = Named(root, "contexts", "context", (name, context) => new Context
        {
            Name = name,
            ContextDetails = new ContextDetails
            {
                Cluster = Text(context, "cluster"),
                User = Text(context, "user"),
                Namespace = Text(context, "namespace"),
            },
        }),
        Users = Named(root, "users", "user", (name, user) => new User
        {
            Name = name,
            UserCredentials = new UserCredentials
            {
                ClientCertificate = Text(user, "client-certificate"),
                ClientCertificateData = Text(user, "client-certificate-data"),
                ClientKey = Text(user, "client-key"),
                ClientKeyData = Text(user, "client-key-data"),
                Token = Text(user, "token"),
                UserName = Text(user, "username"),
                Password = Text(user, "password"),
                Impersonate = Text(user, "as"),
                ImpersonateGroups = [.. Texts(user, "as-groups")],
                AuthProvider = Child(user, "auth-provider") is { } provider
                    ? new AuthProvider { Name = Text(provider, "name"), Config = Map(provider, "config") }
                    : null,
                ExternalExecution = Child(user, "exec") is { } exec
                    ? new ExternalExecution
                    {
                        ApiVersion = Text(exec, "apiVersion"),
                        Command = Text(exec, "command"),
                        Arguments = [.. Texts(exec, "args")],
                        EnvironmentVariables = [.. Items(exec, "env").Select(variable => Map(variable))],
                        InstallHint = Text(exec, "installHint"),
                        ProvideClusterInfo = bool.TryParse(Text(exec, "provideClusterInfo"), out var provide) && provide,
                    }
                    : null,
            },
        }),
    };

    // kubeconfig lists are of {name, <kind>: {...}}; an entry without a name cannot be referenced and is skipped.
    private static List<T> Named<T>(YamlMappingNode root, string list, string kind, Func<string, YamlMappingNode, T> read) =>
        [.. Items(root, list)
            .Where(entry => Text(entry, "name") is not null)
            .Select(entry => read(Text(entry, "name")!, Child(entry, kind) ?? new YamlMappingNode()))];

    private static IEnumerable<YamlMappingNode> Items(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) && value is YamlSequenceNode items
            ? items.Children.OfType<YamlMappingNode>()
            : [];

    private static IEnumerable<string> Texts(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) && value is YamlSequenceNode items
            ? items.Children.OfType<YamlScalarNode>().Select(item => item.Value ?? "")
            : [];

    private static YamlMappingNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) ? value as YamlMappingNode : null;

    private static string? Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

    private static Dictionary<string, string> Map(YamlMappingNode node, string key) =>
        Child(node, key) is { } child ? Map(child) : [];

    private static Dictionary<string, string> Map(YamlMappingNode node) =>
        node.Children
            .Where(pair => pair is { Key: YamlScalarNode { Value: not null }, Value: YamlScalarNode })
            .ToDictionary(pair => ((YamlScalarNode)pair.Key).Value!, pair => ((YamlScalarNode)pair.Value).Value ?? "");
}
