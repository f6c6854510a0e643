using Flagger.Hosting.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace Flagger.Hosting;

/// <summary>The operator's HTTP endpoints.</summary>
public static class FlaggerEndpoints
{
    /// <summary>Maps <c>/metrics</c> (Prometheus text), <c>/healthz</c> (<c>OK</c>) and <c>/readyz</c> (canaries scheduled).</summary>
    public static IEndpointRouteBuilder MapFlaggerEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/metrics", async (HttpContext context, CanaryMetrics metrics) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
        endpoints.MapGet("/healthz", () => Results.Text("OK"));
        endpoints.MapGet("/readyz", (IServiceProvider services) => services.GetService<FlaggerOperator>()?.State switch
        {
            OperatorState.Leading => Results.Text("OK"),
            OperatorState.Standby => Results.Text("OK (standby: another replica leads)"),
            OperatorState.Listing => Results.Text("leading; canaries not listed yet", statusCode: StatusCodes.Status503ServiceUnavailable),
            _ => Results.Text("starting", statusCode: StatusCodes.Status503ServiceUnavailable),
        });
        return endpoints;
    }
}
