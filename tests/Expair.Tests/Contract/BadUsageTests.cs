namespace Expair.Tests.Contract;

/// <summary>Wrong endpoints and wrong calls: specific exceptions whose messages name what is wrong.</summary>
public class BadUsageTests
{
    [Theory]
    [InlineData("tcp://")]
    [InlineData("tcp://host:notaport")]
    [InlineData("foo://x")]
    [InlineData("inproc://")]
    [InlineData("no-scheme")]
    public void Bind_MalformedEndpoint_ThrowsArgumentExceptionNamingIt(string endpoint)
    {
        using var socket = new PairSocket();
        var error = Assert.Throws<ArgumentException>(() => socket.Bind(endpoint));
        Assert.Contains(endpoint, error.Message, StringComparison.Ordinal);
        Assert.Null(socket.Endpoint); // nothing half-done: the socket is still free to bind
    }

    [Fact]
    public void Connect_TooLongIpcPath_ThrowsArgumentException()
    {
        using var socket = new PairSocket();
        var endpoint = "ipc:///tmp/" + new string('x', 200);
        var error = Assert.Throws<ArgumentException>(() => socket.Connect(endpoint));
        Assert.Contains("at most 107", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_PortInUse_ThrowsEndpointExceptionNamingIt()
    {
        using var first = new PairSocket();
        var endpoint = first.Bind("tcp://127.0.0.1:*");
        using var second = new PairSocket();
        var error = Assert.Throws<EndpointException>(() => second.Bind(endpoint));
        Assert.Equal(endpoint, error.Endpoint);
        Assert.Contains("already in use", error.Message, StringComparison.Ordinal);
        Assert.Null(second.Endpoint);
    }

    [Fact]
    public void Bind_InProcNameTaken_ThrowsEndpointException()
    {
        var name = $"inproc://taken-{Guid.NewGuid():N}";
        using var first = new PairSocket();
        first.Bind(name);
        using var second = new PairSocket();
        var error = Assert.Throws<EndpointException>(() => second.Bind(name));
        Assert.Contains("already bound", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unbind_WrongEndpoint_ThrowsNamingTheRealOne()
    {
        using var socket = new PairSocket();
        var bound = socket.Bind("tcp://127.0.0.1:*");
        var error = Assert.Throws<InvalidOperationException>(() => socket.Unbind("tcp://127.0.0.1:1"));
        Assert.Contains(bound, error.Message, StringComparison.Ordinal);
        socket.Unbind("tcp://127.0.0.1:*"); // the endpoint as asked for also names it
        Assert.Null(socket.Endpoint);
    }

    [Fact]
    public void TrySend_NegativeTimeout_ThrowsArgumentOutOfRange()
    {
        using var socket = new PairSocket();
        Assert.Throws<ArgumentOutOfRangeException>(() => socket.TrySend("x", TimeSpan.FromMilliseconds(-5)));
    }

    [Fact]
    public void Send_EmptyMessage_ThrowsArgumentException()
    {
        using var socket = new PairSocket();
        Assert.Throws<ArgumentException>(() => socket.Send(new Message()));
    }

    [Fact]
    public async Task Send_DisposedMessage_ThrowsObjectDisposedEveryWay()
    {
        using var socket = new PairSocket();
        var message = new Message("a", "b");
        message.Dispose();
        Assert.Throws<ObjectDisposedException>(() => socket.Send(message));
        Assert.Throws<ObjectDisposedException>(() => socket.TrySend(message, TimeSpan.Zero));
        Assert.Throws<ObjectDisposedException>(() => socket.SendAndClear(message));
        Assert.Throws<ObjectDisposedException>(() => socket.TrySendAndClear(message, TimeSpan.Zero));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await socket.SendAsync(message));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await socket.SendAndClearAsync(message));
    }
}
