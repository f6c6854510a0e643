using System.Text;
using k8s;
using k8s.Models;

namespace Flagger.Testing.Tests;

/// <summary>
/// Lists in pages (<c>limit</c> and <c>continue</c>) as kube-apiserver serves them: key order, one resourceVersion for
/// every page of a list (later writes do not show), the count of what is left, and 410 Expired for a token whose
/// version the server no longer keeps.
/// </summary>
public sealed class ListPagingTests
{
    [Fact]
    public async Task Pages_cover_every_object_once_in_key_order_at_the_first_pages_resource_version()
    {
        await using var cluster = await TestCluster.StartAsync(crds: false);
        using var client = cluster.CreateClient();
        await CreateNamespaceAsync(client, "paged");
        for (var i = 0; i < 7; i++)
        {
            await CreateSecretAsync(client, "paged", $"secret-{i}", "v1");
        }

        var first = await client.CoreV1.ListNamespacedSecretAsync("paged", limit: 3, cancellationToken: TestCluster.Ct);

        // Written after the first page: a new object in the second page's range, a change and a deletion of
        // objects still to come. None of it shows on the following pages.
        await CreateSecretAsync(client, "paged", "secret-4a", "v1");
        await client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"stringData":{"value":"v2"}}""", V1Patch.PatchType.MergePatch), "secret-5", "paged", cancellationToken: TestCluster.Ct);
        await client.CoreV1.DeleteNamespacedSecretAsync("secret-6", "paged", cancellationToken: TestCluster.Ct);
        var second = await client.CoreV1.ListNamespacedSecretAsync("paged", limit: 3, continueParameter: first.Metadata.ContinueProperty, cancellationToken: TestCluster.Ct);
        var third = await client.CoreV1.ListNamespacedSecretAsync("paged", limit: 3, continueParameter: second.Metadata.ContinueProperty, cancellationToken: TestCluster.Ct);

        Assert.Equal(["secret-0", "secret-1", "secret-2"], first.Items.Select(s => s.Metadata.Name));
        Assert.Equal(4, first.Metadata.RemainingItemCount);
        Assert.Equal(["secret-3", "secret-4", "secret-5"], second.Items.Select(s => s.Metadata.Name));
        Assert.Equal("v1", Encoding.UTF8.GetString(second.Items[2].Data["value"]));
        Assert.Equal(["secret-6"], third.Items.Select(s => s.Metadata.Name));
        Assert.Null(third.Metadata.ContinueProperty);
        Assert.Null(third.Metadata.RemainingItemCount);
        Assert.Equal(first.Metadata.ResourceVersion, second.Metadata.ResourceVersion);
        Assert.Equal(first.Metadata.ResourceVersion, third.Metadata.ResourceVersion);

        // A new list sees the writes.
        var fresh = await client.CoreV1.ListNamespacedSecretAsync("paged", limit: 100, cancellationToken: TestCluster.Ct);
        Assert.Equal(["secret-0", "secret-1", "secret-2", "secret-3", "secret-4", "secret-4a", "secret-5"], fresh.Items.Select(s => s.Metadata.Name));
        Assert.Null(fresh.Metadata.ContinueProperty);
    }

    [Fact]
    public async Task A_selector_pages_over_matching_objects_only_and_custom_objects_page_too()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await CreateNamespaceAsync(client, "paged");
        for (var i = 0; i < 5; i++)
        {
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"config-{i}", Labels = new Dictionary<string, string> { ["keep"] = (i % 2 == 0).ToString() } } }, "paged", cancellationToken: TestCluster.Ct);
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(
                new { apiVersion = "flagger.app/v1beta1", kind = "MetricTemplate", metadata = new { name = $"template-{i}" }, spec = new { provider = new { type = "prometheus", address = "http://prometheus:9090" }, query = "up" } },
                "flagger.app",
                "v1beta1",
                "paged",
                "metrictemplates",
                cancellationToken: TestCluster.Ct);
        }

        var kept = await client.CoreV1.ListNamespacedConfigMapAsync("paged", labelSelector: "keep=True", limit: 2, cancellationToken: TestCluster.Ct);
        var rest = await client.CoreV1.ListNamespacedConfigMapAsync("paged", labelSelector: "keep=True", limit: 2, continueParameter: kept.Metadata.ContinueProperty, cancellationToken: TestCluster.Ct);
        Assert.Equal(["config-0", "config-2"], kept.Items.Select(c => c.Metadata.Name));
        Assert.Null(kept.Metadata.RemainingItemCount);
        Assert.Equal(["config-4"], rest.Items.Select(c => c.Metadata.Name));
        Assert.Null(rest.Metadata.ContinueProperty);

        var names = new List<string>();
        string? next = null;
        var pages = 0;
        do
        {
            var page = (System.Text.Json.JsonElement)await client.CustomObjects.ListClusterCustomObjectAsync("flagger.app", "v1beta1", "metrictemplates", limit: 2, continueParameter: next, cancellationToken: TestCluster.Ct);
            names.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("metadata").GetProperty("name").GetString()!));
            next = page.GetProperty("metadata").TryGetProperty("continue", out var c) ? c.GetString() : null;
            pages++;
        }
        while (next is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"template-{i}"), names);
    }

    [Fact]
    public async Task A_continue_token_older_than_the_kept_history_is_410_Expired_and_a_forged_one_is_400()
    {
        await using var cluster = await TestCluster.StartAsync(crds: false);
        using var client = cluster.CreateClient();
        await CreateNamespaceAsync(client, "paged");
        for (var i = 0; i < 3; i++)
        {
            await CreateSecretAsync(client, "paged", $"secret-{i}", "v1");
        }

        var first = await client.CoreV1.ListNamespacedSecretAsync("paged", limit: 1, cancellationToken: TestCluster.Ct);
        await CreateSecretAsync(client, "paged", "secret-3", "v1");
        cluster.CompactWatchHistory();

        var expired = await TestCluster.FailureAsync(() => client.CoreV1.ListNamespacedSecretAsync("paged", limit: 1, continueParameter: first.Metadata.ContinueProperty, cancellationToken: TestCluster.Ct));
        Assert.Equal(410, expired.Code);
        Assert.Equal("Expired", expired.Reason);
        Assert.Contains("continue parameter is too old", expired.Message, StringComparison.Ordinal);

        var forged = Convert.ToBase64String(Encoding.UTF8.GetBytes("3"));
        Assert.Equal(400, await TestCluster.StatusOfAsync(() => client.CoreV1.ListNamespacedSecretAsync("paged", limit: 1, continueParameter: forged, cancellationToken: TestCluster.Ct)));

        // Starting over works, and sees the object written since.
        var again = await client.CoreV1.ListNamespacedSecretAsync("paged", limit: 10, cancellationToken: TestCluster.Ct);
        Assert.Equal(4, again.Items.Count);
    }

    private static Task<V1Namespace> CreateNamespaceAsync(IKubernetes client, string name) =>
        client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken: TestCluster.Ct);

    private static Task<V1Secret> CreateSecretAsync(IKubernetes client, string ns, string name, string value) =>
        client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = name }, StringData = new Dictionary<string, string> { ["value"] = value } }, ns, cancellationToken: TestCluster.Ct);
}
