using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Authentication;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace Flagger.Operator;

/// <summary>
/// Bearer tokens from a kubeconfig user's <c>exec</c> credential plugin (<c>aws eks get-token</c>,
/// <c>gke-gcloud-auth-plugin</c>, <c>kubelogin</c>), run as kubectl runs it. KubernetesClient runs plugins itself, but
/// writes the plugin's request by reflection, which this operator's build turns off (it is published as Native AOT);
/// here the request is a JsonObject and the answer is read from a JsonDocument. A token is reused until five seconds
/// before its <c>expirationTimestamp</c>, or for good when the plugin gives none.
/// </summary>
internal sealed class ExecCredentials : ITokenProvider, IDisposable
{
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private readonly ExternalExecution plugin;
    private readonly string? kubeconfigDirectory;
    private readonly TimeProvider time;
    private readonly SemaphoreSlim gate = new(1, 1);
    private (string Token, DateTimeOffset? Expires)? current;

    public ExecCredentials(ExternalExecution plugin, string? kubeconfigDirectory, TimeProvider time)
    {
        this.plugin = plugin;
        this.kubeconfigDirectory = kubeconfigDirectory;
        this.time = time;
    }

    public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (current is not { } credential || credential.Expires is { } expires && expires - Skew <= time.GetUtcNow())
            {
                current = credential = await RunAsync(cancellationToken).ConfigureAwait(false);
            }

            return new AuthenticationHeaderValue("Bearer", credential.Token);
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();

    private async Task<(string Token, DateTimeOffset? Expires)> RunAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(CommandPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in plugin.Arguments ?? [])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var variable in plugin.EnvironmentVariables ?? [])
        {
            if (variable.TryGetValue("name", out var name) && variable.TryGetValue("value", out var value))
            {
                start.Environment[name] = value;
            }
        }

        start.Environment["KUBERNETES_EXEC_INFO"] = new JsonObject
        {
            ["apiVersion"] = plugin.ApiVersion,
            ["kind"] = "ExecCredential",
            ["spec"] = new JsonObject { ["interactive"] = false },
        }.ToJsonString();

        using var process = Process.Start(start) ?? throw new KubeConfigException($"exec plugin {plugin.Command} did not start");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new KubeConfigException($"exec plugin {plugin.Command} exited with {process.ExitCode}: {(await error.ConfigureAwait(false)).Trim()}");
        }

        return Read(await output.ConfigureAwait(false));
    }

    private (string Token, DateTimeOffset? Expires) Read(string output)
    {
        try
        {
            using var answer = JsonDocument.Parse(output);
            var status = answer.RootElement.GetProperty("status");
            if (!status.TryGetProperty("token", out var token) || token.GetString() is not { Length: > 0 } text)
            {
                throw new KubeConfigException($"exec plugin {plugin.Command} gave no status.token; client-certificate credentials from a plugin are not supported, use a token");
            }

            DateTimeOffset? expires = status.TryGetProperty("expirationTimestamp", out var at) && at.ValueKind == JsonValueKind.String
                ? DateTimeOffset.Parse(at.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
                : null;
            return (text, expires);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new KubeConfigException($"exec plugin {plugin.Command} did not print an ExecCredential: {e.Message}", e);
        }
    }

    // As kubectl: a command with a path separator is relative to the kubeconfig's directory; a bare name is looked
    // up on PATH.
    private string CommandPath() =>
        plugin.Command.Contains('/', StringComparison.Ordinal) && !Path.IsPathRooted(plugin.Command) && kubeconfigDirectory is not null
            ? Path.GetFullPath(Path.Combine(kubeconfigDirectory, plugin.Command))
            : plugin.Command;
}
