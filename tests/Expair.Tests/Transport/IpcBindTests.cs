namespace Expair.Tests.Transport;

/// <summary>
/// ipc Bind replaces only a stale socket file, and closing removes the path only while it is still the
/// socket's own file (issue 20, defect 5: Bind deleted whatever was at the path).
/// </summary>
public sealed class IpcBindTests : IDisposable
{
    private static readonly PairSocketOptions Options = new() { SendTimeout = TimeSpan.FromSeconds(10), ReceiveTimeout = TimeSpan.FromSeconds(10), Linger = TimeSpan.Zero };

    private readonly string _path = $"{Path.GetTempPath()}expair-bind-{Guid.NewGuid():N}.sock";

    private string Endpoint => "ipc://" + _path;

    public void Dispose()
    {
        if (Directory.Exists(_path))
            Directory.Delete(_path);
        else
            File.Delete(_path);
    }

    [Fact]
    public void Bind_OverARegularFile_IsRefused_AndTheFileIsUntouched()
    {
        File.WriteAllText(_path, "precious");
        using var socket = new PairSocket(Options);
        var error = Assert.Throws<EndpointException>(() => socket.Bind(Endpoint));
        Assert.Equal(Endpoint, error.Endpoint);
        Assert.Contains("not a socket", error.Message, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(_path));
        Assert.Null(socket.Endpoint);
    }

    [Fact]
    public void Bind_OverAnEmptyFileOrADirectory_IsRefused()
    {
        File.WriteAllBytes(_path, []);
        using var socket = new PairSocket(Options);
        Assert.Contains("not a socket", Assert.Throws<EndpointException>(() => socket.Bind(Endpoint)).Message, StringComparison.Ordinal);
        Assert.True(File.Exists(_path));
        File.Delete(_path);

        Directory.CreateDirectory(_path);
        Assert.Contains("not a socket", Assert.Throws<EndpointException>(() => socket.Bind(Endpoint)).Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(_path));
    }

    [Fact]
    public void Bind_WhereALiveSocketListens_IsRefusedAsInUse_AndTheFirstKeepsWorking()
    {
        using var first = new PairSocket(Options);
        first.Bind(Endpoint);
        using var second = new PairSocket(Options);
        var error = Assert.Throws<EndpointException>(() => second.Bind(Endpoint));
        Assert.Contains("address in use", error.Message, StringComparison.Ordinal);
        Assert.Null(second.Endpoint);
        second.Dispose(); // a refused bind owns nothing: the first's file stays

        using var client = new PairSocket(Options);
        client.Connect(Endpoint);
        client.Send("still here");
        Assert.Equal("still here", first.ReceiveString());
        Assert.True(File.Exists(_path));
    }

    [Fact]
    public void Bind_OverAStaleSocketFile_ReplacesIt()
    {
        // A socket file whose listener is gone (its process died): bound, then closed without removing the file
        // (a socket bound through .NET would remove it when disposed).
        Expair.Transport.Ipc.NativeUnixListener.Listen(Endpoint, _path, backlog: 1).Dispose();
        Assert.True(File.Exists(_path));

        using var server = new PairSocket(Options);
        Assert.Equal(Endpoint, server.Bind(Endpoint));
        using var client = new PairSocket(Options);
        client.Connect(Endpoint);
        client.Send("hello");
        Assert.Equal("hello", server.ReceiveString());
    }

    [Fact]
    public void Close_RemovesThePathOnlyWhileItIsStillItsOwnFile()
    {
        var first = new PairSocket(Options);
        first.Bind(Endpoint);
        // The path is taken from under the first socket (deleted, as a user or a cleanup job might) and bound again.
        File.Delete(_path);
        using var second = new PairSocket(Options);
        second.Bind(Endpoint);

        first.Dispose(); // must not remove the second socket's file
        Assert.True(File.Exists(_path));
        using var client = new PairSocket(Options);
        client.Connect(Endpoint);
        client.Send("reached the second");
        Assert.Equal("reached the second", second.ReceiveString());

        second.Unbind(Endpoint); // its own file: removed
        Assert.False(File.Exists(_path));
    }
}
