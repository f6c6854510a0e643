using Flagger.Analysis;
using Flagger.Providers;
using Flagger.Routing;
using Flagger.Testing;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Flagger.Istio.Tests;

public sealed class FlaggerEngineBuilderIstioExtensionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Registers_the_router_under_istio_once()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IKubernetes>(new k8s.Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" }));
        services.AddFlaggerEngine().AddIstio().AddIstio(o => o.ApiVersion = IstioRouterOptions.V1);

        Assert.Single(services, d => d.ServiceType == typeof(IMeshRouter) && Equals(d.ServiceKey, "istio"));
        using var provider = services.BuildServiceProvider();
        Assert.IsType<IstioRouter>(provider.GetRequiredKeyedService<IMeshRouter>("istio"));
        Assert.Equal("v1", provider.GetRequiredService<IOptions<IstioRouterOptions>>().Value.Version);
    }

    [Fact]
    public void A_keyed_mesh_client_is_preferred()
    {
        var services = new ServiceCollection();
        var mesh = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:2" });
        services.AddKeyedSingleton<IKubernetes>(FlaggerEngineBuilderIstioExtensions.MeshClientKey, mesh);
        services.AddFlaggerEngine().AddIstio();

        using var provider = services.BuildServiceProvider();
        Assert.NotNull(provider.GetRequiredKeyedService<IMeshRouter>("istio"));
    }

    [Fact]
    public void Istio_is_the_default_mesh_provider_unless_one_is_given()
    {
        var defaulted = new ServiceCollection();
        defaulted.AddFlaggerEngine().AddIstio();
        var given = new ServiceCollection();
        given.AddFlaggerEngine(o => o.MeshProvider = "kubernetes").AddIstio();

        using var a = defaulted.BuildServiceProvider();
        using var b = given.BuildServiceProvider();
        Assert.Equal("istio", a.GetRequiredService<IOptions<EngineOptions>>().Value.MeshProvider);
        Assert.Equal("kubernetes", b.GetRequiredService<IOptions<EngineOptions>>().Value.MeshProvider);
    }

    [Theory]
    [InlineData("networking.istio.io/v2", "Istio ApiVersion: must be networking.istio.io/v1alpha3, networking.istio.io/v1beta1 or networking.istio.io/v1, got 'networking.istio.io/v2'")]
    [InlineData("v1beta1", "Istio ApiVersion: must be networking.istio.io/v1alpha3, networking.istio.io/v1beta1 or networking.istio.io/v1, got 'v1beta1'")]
    public void An_unknown_api_version_fails_validation(string apiVersion, string message)
    {
        var services = new ServiceCollection();
        services.AddFlaggerEngine().AddIstio(o => o.ApiVersion = apiVersion);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<IstioRouterOptions>>().Value);

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public async Task Without_Istio_CRDs_reconcile_says_what_to_install()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(new EmbeddedClusterOptions { SimulateControllers = false, InstallIstioCrds = false }, Ct);
        using var client = cluster.CreateClient();
        var services = new ServiceCollection();
        services.AddSingleton(client);
        services.AddFlaggerEngine().AddIstio();
        using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            provider.GetRequiredKeyedService<IMeshRouter>("istio").ReconcileAsync(Canaries.Walkthrough("default"), Ct));

        Assert.StartsWith("DestinationRule podinfo-primary.default cannot be created: networking.istio.io/v1beta1 destinationrules is not served", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("is Istio installed, and does the Istio ApiVersion option match its CRDs?", error.Message, StringComparison.Ordinal);
    }
}
