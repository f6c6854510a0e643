using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Flagger.Testing.Storage;

/// <summary>
/// The name and label rules of the real API server (apimachinery's validation): Service names are DNS-1035 labels and
/// Namespace names DNS-1123 labels, both at most 63 characters; label keys are qualified names and label values at most
/// 63 characters of a restricted alphabet, in object metadata, pod templates and selectors. Each broken rule is one
/// cause of the 422, worded as the real server words it, so a test sees what a cluster would answer.
/// </summary>
internal static partial class NameRules
{
    private const int LabelLength = 63;

    private const string Dns1035Message =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    private const string Dns1123LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    private const string LabelValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    private const string QualifiedNameMessage =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    /// <summary>Every rule <paramref name="obj"/> of <paramref name="type"/> breaks, as (field, message) causes.</summary>
    public static List<(string Field, string Message)> Check(ResourceType type, JsonObject obj)
    {
        var causes = new List<(string, string)>();
        var name = Meta.Name(obj);
        if (type.Group.Length == 0 && type.Kind == "Service")
        {
            Label(causes, "metadata.name", name, Dns1035(), Dns1035Message);
        }
        else if (type.Group.Length == 0 && type.Kind == "Namespace")
        {
            Label(causes, "metadata.name", name, Dns1123Label(), Dns1123LabelMessage);
        }

        Labels(causes, "metadata.labels", obj["metadata"]?["labels"]);
        if (type.Group.Length == 0 && type.Kind == "Service")
        {
            Labels(causes, "spec.selector", obj["spec"]?["selector"]);
        }

        if (obj["spec"]?["template"] is JsonObject template && type.Kind is "Deployment" or "DaemonSet" or "StatefulSet" or "ReplicaSet" or "Job")
        {
            Labels(causes, "spec.template.metadata.labels", template["metadata"]?["labels"]);
            Labels(causes, "spec.selector.matchLabels", obj["spec"]?["selector"]?["matchLabels"]);
        }

        return causes;
    }

    private static void Label(List<(string, string)> causes, string field, string value, Regex pattern, string message)
    {
        if (value.Length > LabelLength)
        {
            causes.Add((field, $"Invalid value: \"{value}\": must be no more than {LabelLength} characters"));
        }

        if (!pattern.IsMatch(value))
        {
            causes.Add((field, $"Invalid value: \"{value}\": {message}"));
        }
    }

    private static void Labels(List<(string, string)> causes, string field, JsonNode? labels)
    {
        if (labels is not JsonObject map)
        {
            return;
        }

        foreach (var (key, node) in map)
        {
            Key(causes, field, key);
            var value = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? string.Empty;
            if (value.Length > LabelLength)
            {
                causes.Add((field, $"Invalid value: \"{value}\": must be no more than {LabelLength} characters"));
            }

            if (!LabelValue().IsMatch(value))
            {
                causes.Add((field, $"Invalid value: \"{value}\": {LabelValueMessage}"));
            }
        }
    }

    // A qualified name: an optional DNS-1123 subdomain prefix and '/', then a name of at most 63 characters.
    private static void Key(List<(string, string)> causes, string field, string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (prefix, name) = slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
        if (prefix is not null && (prefix.Length == 0 || prefix.Length > 253 || !Dns1123Subdomain().IsMatch(prefix)))
        {
            causes.Add((field, $"Invalid value: \"{key}\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"));
        }

        if (name.Length == 0)
        {
            causes.Add((field, $"Invalid value: \"{key}\": name part must be non-empty"));
            return;
        }

        if (name.Length > LabelLength)
        {
            causes.Add((field, $"Invalid value: \"{key}\": name part must be no more than {LabelLength} characters"));
        }

        if (!QualifiedNamePart().IsMatch(name))
        {
            causes.Add((field, $"Invalid value: \"{key}\": {QualifiedNameMessage}"));
        }
    }

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedNamePart();
}
