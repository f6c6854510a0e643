using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace Flagger.Testing.Tests;

/// <summary>
/// Boolean query parameters over real HTTP, spelled as clients print booleans (Python's <c>watch=True</c>):
/// every spelling of Go's strconv.ParseBool is read, anything else is a 400 naming the parameter.
/// </summary>
public sealed class QueryFlagsTests
{
    private static async Task<(HttpStatusCode Status, JsonElement FirstLine)> GetAsync(EmbeddedCluster cluster, string pathAndQuery)
    {
        using var http = new HttpClient { BaseAddress = cluster.BaseAddress };
        using var response = await http.GetAsync(pathAndQuery, HttpCompletionOption.ResponseHeadersRead, TestCluster.Ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestCluster.Ct));
        var line = await reader.ReadLineAsync(TestCluster.Ct);
        return (response.StatusCode, JsonDocument.Parse(line ?? "{}").RootElement.Clone());
    }

    private static async Task<EmbeddedCluster> WithConfigMapAsync()
    {
        var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, "default", cancellationToken: TestCluster.Ct);
        return cluster;
    }

    [Theory]
    [InlineData("1")]
    [InlineData("t")]
    [InlineData("T")]
    [InlineData("TRUE")]
    [InlineData("true")]
    [InlineData("True")]
    public async Task Every_true_spelling_of_watch_starts_a_watch(string spelling)
    {
        await using var cluster = await WithConfigMapAsync();

        var (status, first) = await GetAsync(cluster, $"/api/v1/namespaces/default/configmaps?watch={spelling}&timeoutSeconds=5");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ADDED", first.GetProperty("type").GetString());
        Assert.Equal("a", first.GetProperty("object").GetProperty("metadata").GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("f")]
    [InlineData("F")]
    [InlineData("FALSE")]
    [InlineData("false")]
    [InlineData("False")]
    public async Task Every_false_spelling_of_watch_lists(string spelling)
    {
        await using var cluster = await WithConfigMapAsync();

        var (status, list) = await GetAsync(cluster, $"/api/v1/namespaces/default/configmaps?watch={spelling}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ConfigMapList", list.GetProperty("kind").GetString());
    }

    [Theory]
    [InlineData("/api/v1/namespaces/default/configmaps?watch=yes", "watch")]
    [InlineData("/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=on", "allowWatchBookmarks")]
    [InlineData("/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=", "sendInitialEvents")]
    [InlineData("/api/v1/namespaces/default/configmaps/a?pretty=maybe", "pretty")]
    [InlineData("/api/v1/namespaces/default/pods/p/log?follow=2", "follow")]
    [InlineData("/apis?pretty=yes", "pretty")]
    public async Task An_unparsable_boolean_is_a_400_naming_the_parameter(string pathAndQuery, string parameter)
    {
        await using var cluster = await WithConfigMapAsync();

        var (status, body) = await GetAsync(cluster, pathAndQuery);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("BadRequest", body.GetProperty("reason").GetString());
        Assert.Contains($"query parameter \"{parameter}\"", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pretty_True_indents_the_answer()
    {
        await using var cluster = await WithConfigMapAsync();
        using var http = new HttpClient { BaseAddress = cluster.BaseAddress };

        var pretty = await http.GetStringAsync("/api/v1/namespaces/default/configmaps/a?pretty=True", TestCluster.Ct);
        var plain = await http.GetStringAsync("/api/v1/namespaces/default/configmaps/a?pretty=0", TestCluster.Ct);

        Assert.Contains("\n  \"kind\": \"ConfigMap\"", pretty, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', plain);
    }

    [Fact]
    public async Task Delete_reads_orphanDependents_from_the_query()
    {
        await using var cluster = await TestCluster.StartAsync();
        using var client = cluster.CreateClient();
        var owner = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "owner" } }, "default", cancellationToken: TestCluster.Ct);
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta
            {
                Name = "dependent",
                OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner", Uid = owner.Metadata.Uid }],
            },
        }, "default", cancellationToken: TestCluster.Ct);
        using var http = new HttpClient { BaseAddress = cluster.BaseAddress };

        using var response = await http.DeleteAsync("/api/v1/namespaces/default/configmaps/owner?orphanDependents=True", TestCluster.Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var dependent = await client.CoreV1.ReadNamespacedConfigMapAsync("dependent", "default", cancellationToken: TestCluster.Ct);
        Assert.Empty(dependent.Metadata.OwnerReferences ?? []);
    }
}
