namespace Flagger.Testing.Mesh;

/// <summary>Names of the Gateway API (<c>gateway.networking.k8s.io</c>) the simulation reads.</summary>
internal static class GatewayApi
{
    public const string Group = "gateway.networking.k8s.io";

    /// <summary>The label a Gateway implementation puts on the Service in front of a Gateway's proxies.</summary>
    public const string GatewayNameLabel = "gateway.networking.k8s.io/gateway-name";
}
