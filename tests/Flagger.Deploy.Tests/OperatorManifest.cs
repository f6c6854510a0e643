using System.Text.Json.Nodes;
using Flagger.Hosting.Flags;

namespace Flagger.Deploy.Tests;

/// <summary>What both installs (kustomize base and Helm chart) must get right about the operator's Deployment.</summary>
internal static class OperatorManifest
{
    public static JsonObject Container(JsonObject deployment) =>
        Assert.Single(deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray())!.AsObject();

    /// <summary>The container's arguments parsed as the operator parses them: every one a known flag with a valid value.</summary>
    public static FlaggerFlags Flags(JsonObject deployment)
    {
        var args = Container(deployment)["args"]!.AsArray().Select(a => a.Text()).ToList();
        var flags = FlaggerFlags.Parse(args, new Dictionary<string, string>());
        Assert.True(flags.Errors.Count == 0, "operator rejects the manifest's args: " + string.Join("; ", flags.Errors));
        return flags;
    }

    /// <summary>docs/security.md's container hardening, applied.</summary>
    public static void AssertHardened(JsonObject deployment)
    {
        var pod = deployment["spec"]!["template"]!["spec"]!;
        var podSecurity = pod["securityContext"]!;
        Assert.Equal("true", podSecurity["runAsNonRoot"].Text());
        // A named image user cannot be checked by the kubelet against runAsNonRoot: the id must be numeric, not 0.
        Assert.True(int.Parse(podSecurity["runAsUser"].Text(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal("RuntimeDefault", podSecurity["seccompProfile"]!["type"].Text());

        var container = Container(deployment);
        var security = container["securityContext"]!;
        Assert.Equal("false", security["allowPrivilegeEscalation"].Text());
        Assert.Equal("true", security["readOnlyRootFilesystem"].Text());
        Assert.Equal(["ALL"], security["capabilities"]!["drop"]!.AsArray().Select(c => c.Text()));
        Assert.Null(security["capabilities"]!["add"]);

        // The read-only root needs a writable /tmp for the runtime, from an emptyDir.
        var tmp = Assert.Single(container["volumeMounts"]!.AsArray(), m => m!["mountPath"].Text() == "/tmp")!;
        Assert.NotNull(Assert.Single(pod["volumes"]!.AsArray(), v => v!["name"].Text() == tmp["name"].Text())!["emptyDir"]);

        Assert.NotNull(container["resources"]!["limits"]!["memory"]);
        Assert.Equal("/healthz", container["livenessProbe"]!["httpGet"]!["path"].Text());
        Assert.Equal("/readyz", container["readinessProbe"]!["httpGet"]!["path"].Text());
    }

    /// <summary>Notification URLs carry credentials: they reach the operator from a Secret, never as arguments.</summary>
    public static void AssertSecretsStayOutOfArgs(JsonObject deployment, string secretName)
    {
        var container = Container(deployment);
        var args = container["args"]!.AsArray().Select(a => a.Text()).ToList();
        Assert.DoesNotContain(args, a => a.Contains("-slack-url", StringComparison.Ordinal) || a.Contains("-msteams-url", StringComparison.Ordinal) || a.Contains("-slack-token", StringComparison.Ordinal));
        var env = container["env"]!.AsArray().ToDictionary(e => e!["name"].Text(), e => e!["valueFrom"]!["secretKeyRef"]!);
        Assert.Contains("SLACK_URL", env.Keys);
        Assert.Contains("MSTEAMS_URL", env.Keys);
        Assert.All(env.Values, reference =>
        {
            Assert.Equal(secretName, reference["name"].Text());
            Assert.Equal("true", reference["optional"].Text());
        });
    }
}
