using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Flagger.Operator;

/// <summary>
/// Reads the <c>-kubeconfig</c> file with a YAML deserializer for the kubeconfig model alone. KubernetesClient's
/// own loader goes through its <c>KubernetesYaml</c>, whose first use reflects over every model type of the client:
/// about 30 MB of resident memory, for the life of the process, to read a file of a few lines. (In a cluster the
/// operator uses the in-cluster configuration and reads no YAML at all.)
/// </summary>
internal static class Kubeconfig
{
    // The client's settings for kubeconfig files: camelCase names (the model's aliases for the dashed ones),
    // unknown fields ignored, unquoted scalars typed.
    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .WithAttemptingUnquotedStringTypeDeserialization()
        .IgnoreUnmatchedProperties()
        .Build();

    /// <summary>The client configuration of the file's current context, as <c>BuildConfigFromConfigFile</c> builds it.</summary>
    public static KubernetesClientConfiguration Load(string path)
    {
        var file = new FileInfo(path);
        K8SConfiguration? config;
        using (var reader = file.OpenText())
        {
            config = Deserializer.Deserialize<K8SConfiguration?>(reader);
        }

        if (config is null)
        {
            throw new KubeConfigException($"kubeconfig file {file.FullName} is empty");
        }

        // Relative certificate, key and exec paths resolve against the file's directory, as the client's loader does.
        config.FileName = file.FullName;
        return KubernetesClientConfiguration.BuildConfigFromConfigObject(config);
    }
}
