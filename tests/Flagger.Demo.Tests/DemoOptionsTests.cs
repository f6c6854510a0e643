namespace Flagger.Demo.Tests;

/// <summary>The flags that choose Prometheus, the simulated registry's images and the operator's namespace.</summary>
public sealed class DemoOptionsTests
{
    [Fact]
    public void Prometheus_off_images_and_the_operator_namespace_are_read_and_default_sensibly()
    {
        var (defaults, _) = DemoOptions.Parse(["serve", "--kubeconfig", "k"]);
        var (options, errors) = DemoOptions.Parse(["serve", "--kubeconfig", "k", "--prometheus", "off", "--image", "example/app:1.0.0", "--image=example/other:*", "--operator-namespace", "flagger-system"]);

        Assert.Empty(errors);
        Assert.Equal((false, null, "istio-system"), (defaults!.PrometheusOff, defaults.Prometheus, defaults.OperatorNamespace));
        Assert.Equal((true, null, "flagger-system"), (options!.PrometheusOff, options.Prometheus, options.OperatorNamespace));
        Assert.Equal(["example/app:1.0.0", "example/other:*"], options.Images);
        var cluster = DemoEnvironment.ClusterOptions(options, TimeProvider.System);
        Assert.True(cluster.Images!.Contains("example/other:2"));
        Assert.False(cluster.Images.Contains("stefanprodan/potato:1.0.0"));
    }

    [Fact]
    public void Include_label_prefixes_repeat_or_separate_by_commas_and_an_empty_one_is_named()
    {
        var (options, errors) = DemoOptions.Parse(["serve", "--kubeconfig", "k", "--include-label-prefix", "app.kubernetes.io", "--include-label-prefix=team,owner"]);
        var (defaults, _) = DemoOptions.Parse(["serve", "--kubeconfig", "k"]);
        var (bad, badErrors) = DemoOptions.Parse(["serve", "--kubeconfig", "k", "--include-label-prefix", ""]);

        Assert.Empty(errors);
        Assert.Equal(["app.kubernetes.io", "team", "owner"], options!.IncludeLabelPrefixes);
        Assert.Empty(defaults!.IncludeLabelPrefixes);
        Assert.Null(bad);
        Assert.Contains(badErrors, e => e.StartsWith("--include-label-prefix: needs a prefix", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bad_operator_namespace_or_an_empty_image_is_named()
    {
        var (options, errors) = DemoOptions.Parse(["serve", "--kubeconfig", "k", "--operator-namespace", "Flagger_System", "--image", ""]);

        Assert.Null(options);
        Assert.Contains(errors, e => e.StartsWith("--operator-namespace: must be a namespace name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--image: needs an image reference", StringComparison.Ordinal));
    }
}
