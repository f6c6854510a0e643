using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Flagger.Operator;
using k8s;

namespace Flagger.Acceptance;

/// <summary>
/// The operator's own kubeconfig reader (Kubeconfig.cs, which the Native AOT build needs) against the client's loader
/// as the oracle: for each context of one file, both must produce the same client configuration.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the exec plugin is a shell script
public sealed class KubeconfigTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("flagger-kubeconfig-");

    public void Dispose() => directory.Delete(recursive: true);

    [Theory]
    [InlineData("token")]
    [InlineData("certificates")]
    [InlineData("files")]
    [InlineData("exec")]
    [InlineData("basic")]
    public async Task Each_context_reads_as_the_clients_own_loader_reads_it(string context)
    {
        var path = WriteKubeconfig(context);

        var ours = Kubeconfig.Load(path);
        var client = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);

        Assert.Equal(
            (client.CurrentContext, client.Host, client.Namespace, client.SkipTlsVerify, client.TlsServerName),
            (ours.CurrentContext, ours.Host, ours.Namespace, ours.SkipTlsVerify, ours.TlsServerName));
        Assert.Equal((client.Username, client.Password), (ours.Username, ours.Password));
        Assert.Equal(
            (client.ClientCertificateData, client.ClientCertificateKeyData, client.ClientCertificateFilePath, client.ClientKeyFilePath),
            (ours.ClientCertificateData, ours.ClientCertificateKeyData, ours.ClientCertificateFilePath, ours.ClientKeyFilePath));
        Assert.Equal(Thumbprints(client.SslCaCerts), Thumbprints(ours.SslCaCerts));
        Assert.Equal(await HeaderAsync(client), await HeaderAsync(ours)); // a token, or the exec plugin's token
    }

    [Fact]
    public async Task Each_context_sets_what_it_names()
    {
        // The oracle comparison above would pass if both readers lost a field; these are the values written.
        var certificates = Kubeconfig.Load(WriteKubeconfig("certificates"));
        Assert.Equal(("https://secure.example:6443", "prod", "api.internal"), (certificates.Host, certificates.Namespace, certificates.TlsServerName));
        Assert.Single(certificates.SslCaCerts);
        Assert.NotNull(certificates.ClientCertificateData);

        var files = Kubeconfig.Load(WriteKubeconfig("files"));
        Assert.Equal(Path.Combine(directory.FullName, "client.crt"), files.ClientCertificateFilePath);
        Assert.True(files.SkipTlsVerify);

        // The exec plugin ran with the file's arguments and environment (its token echoes them).
        var exec = Kubeconfig.Load(WriteKubeconfig("exec"));
        Assert.Equal("Bearer exec-info-eu-west-1---cluster-prod", await HeaderAsync(exec));
        using var authority = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(directory.FullName, "ca.crt")));
        Assert.Equal(authority.Thumbprint, Assert.Single(exec.SslCaCerts).Thumbprint); // ca.crt, relative to the file

        var basic = Kubeconfig.Load(WriteKubeconfig("basic"));
        Assert.Equal(("admin", "s3cret"), (basic.Username, basic.Password));
        Assert.Equal("t0ken", Kubeconfig.Load(WriteKubeconfig("token")).AccessToken);
    }

    [Theory]
    [InlineData("2999-01-01T00:00:00Z", 1)] // valid for long: run once, then reused
    [InlineData("2000-01-01T00:00:00Z", 3)] // already expired: run again for every request
    public async Task An_exec_plugins_token_is_reused_until_it_expires(string expires, int runs)
    {
        var counter = Path.Combine(directory.FullName, "runs");
        var plugin = Script("counting-plugin", $$$"""
            echo run >> {{{counter}}}
            echo '{"kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"{{{expires}}}"}}'
            """);
        using var credentials = new ExecCredentials(new k8s.KubeConfigModels.ExternalExecution { Command = plugin }, directory.FullName, TimeProvider.System);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("Bearer t", (await credentials.GetAuthenticationHeaderAsync(TestContext.Current.CancellationToken)).ToString());
        }

        Assert.Equal(runs, File.ReadAllLines(counter).Length);
    }

    [Fact]
    public async Task A_failing_exec_plugin_is_reported_with_what_it_said()
    {
        var plugin = Script("failing-plugin", "echo 'error: not logged in; run: cloud auth login' >&2\nexit 3");
        using var credentials = new ExecCredentials(new k8s.KubeConfigModels.ExternalExecution { Command = "./failing-plugin" }, directory.FullName, TimeProvider.System);

        var error = await Assert.ThrowsAsync<k8s.Exceptions.KubeConfigException>(() => credentials.GetAuthenticationHeaderAsync(TestContext.Current.CancellationToken));

        Assert.Equal("exec plugin ./failing-plugin exited with 3: error: not logged in; run: cloud auth login", error.Message);
        Assert.True(File.Exists(plugin));
    }

    private string Script(string name, string body)
    {
        var path = Path.Combine(directory.FullName, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private string WriteKubeconfig(string currentContext)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=flagger-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePem = certificate.ExportCertificatePem();
        var keyPem = key.ExportRSAPrivateKeyPem();
        File.WriteAllText(Path.Combine(directory.FullName, "ca.crt"), certificatePem);
        File.WriteAllText(Path.Combine(directory.FullName, "client.crt"), certificatePem);
        File.WriteAllText(Path.Combine(directory.FullName, "client.key"), keyPem);
        Script("get-token", """
            info=${KUBERNETES_EXEC_INFO:+info}
            echo "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"exec-$info-$REGION-$1-$2\"}}"
            """);
        var path = Path.Combine(directory.FullName, "config");
        File.WriteAllText(path, $$"""
            apiVersion: v1
            kind: Config
            preferences: {}
            clusters:
            - name: plain
              cluster:
                server: http://127.0.0.1:8080
            - name: secure
              cluster:
                server: https://secure.example:6443
                certificate-authority-data: {{Base64(certificatePem)}}
                tls-server-name: api.internal
            - name: by-file
              cluster:
                server: https://files.example:6443
                certificate-authority: ca.crt
            - name: insecure
              cluster:
                server: https://insecure.example
                insecure-skip-tls-verify: true
            users:
            - name: token
              user:
                token: t0ken
            - name: certificates
              user:
                client-certificate-data: {{Base64(certificatePem)}}
                client-key-data: {{Base64(keyPem)}}
            - name: files
              user:
                client-certificate: client.crt
                client-key: client.key
            - name: exec
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: {{Path.Combine(directory.FullName, "get-token")}}
                  args: ["--cluster", "prod"]
                  env:
                  - name: REGION
                    value: eu-west-1
                  interactiveMode: Never
            - name: basic
              user:
                username: admin
                password: s3cret
            contexts:
            - name: token
              context: {cluster: plain, user: token}
            - name: certificates
              context: {cluster: secure, user: certificates, namespace: prod}
            - name: files
              context: {cluster: insecure, user: files}
            - name: exec
              context: {cluster: by-file, user: exec, namespace: "42"}
            - name: basic
              context: {cluster: plain, user: basic}
            current-context: {{currentContext}}
            """);
        return path;
    }

    private static async Task<string?> HeaderAsync(KubernetesClientConfiguration configuration) =>
        configuration.TokenProvider is { } provider
            ? (await provider.GetAuthenticationHeaderAsync(TestContext.Current.CancellationToken)).ToString()
            : configuration.AccessToken is { } token ? $"Bearer {token}" : null;

    private static string Base64(string text) => Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(text));

    private static string[] Thumbprints(X509Certificate2Collection? certificates) =>
        [.. certificates?.Select(c => c.Thumbprint) ?? []];
}
