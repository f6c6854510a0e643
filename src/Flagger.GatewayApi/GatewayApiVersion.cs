namespace Flagger.GatewayApi;

/// <summary>One served version of <c>gateway.networking.k8s.io</c>, as a type, so each gets its own keyed router.</summary>
internal interface IGatewayApiVersion
{
    /// <summary>The version, e.g. <c>v1</c>.</summary>
    static abstract string Version { get; }
}

/// <summary><c>gateway.networking.k8s.io/v1</c> (Gateway API 1.0 and later): <c>spec.provider: gatewayapi:v1</c>.</summary>
internal sealed class GatewayApiV1 : IGatewayApiVersion
{
    public static string Version => "v1";
}

/// <summary><c>gateway.networking.k8s.io/v1beta1</c> (Gateway API 0.5–0.8): <c>spec.provider: gatewayapi:v1beta1</c>.</summary>
internal sealed class GatewayApiV1Beta1 : IGatewayApiVersion
{
    public static string Version => "v1beta1";
}
