namespace Expair.Interop.Tests;

/// <summary>What a test made and must release: disposed in reverse order (monitors before their sockets), ipc paths deleted.</summary>
internal sealed class TestResources : IDisposable
{
    private readonly List<IDisposable> _items = [];

    public T Track<T>(T disposable)
        where T : IDisposable
    {
        _items.Add(disposable);
        return disposable;
    }

    /// <summary>A fresh ipc endpoint under the temp folder (well under the 107-byte sun_path limit), deleted on dispose.</summary>
    public string IpcEndpoint()
    {
        var path = Path.Combine(Path.GetTempPath(), $"expair-{Guid.NewGuid():N}.sock");
        _items.Add(new FileCleanup(path));
        return "ipc://" + path;
    }

    /// <summary>An endpoint free now, known before anything binds it: a loopback tcp port the kernel picked, or a fresh ipc path.</summary>
    public string FreeEndpoint(string transport)
    {
        if (transport == "ipc")
            return IpcEndpoint();
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return $"tcp://127.0.0.1:{((System.Net.IPEndPoint)probe.LocalEndpoint).Port}";
    }

    public void Dispose()
    {
        for (var i = _items.Count - 1; i >= 0; i--)
            _items[i].Dispose();
        _items.Clear();
    }

    private sealed class FileCleanup(string path) : IDisposable
    {
        public void Dispose() => File.Delete(path);
    }
}
