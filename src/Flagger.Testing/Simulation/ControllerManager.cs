using Flagger.Testing.Storage;

namespace Flagger.Testing.Simulation;

internal sealed class ControllerManager(ObjectStore store, EmbeddedClusterOptions options) : IAsyncDisposable
{
    public void Start()
    {
        _ = store;
        _ = options;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
