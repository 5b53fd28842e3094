namespace Expair.Tests.Usage;

/// <summary>TryReceiveString and ReceiveStringAsync: the string forms of TryReceive and ReceiveAsync.</summary>
public class StringReceiveTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void TryReceiveString_WithAMessage_ReturnsItsText()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        b.Send("Status update 1 — ünïcode");
        Assert.True(a.TryReceiveString(out var text, Patience));
        Assert.Equal("Status update 1 — ünïcode", text);
    }

    [Fact]
    public void TryReceiveString_WithNoMessage_ReturnsFalseAndNull()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        Assert.False(a.TryReceiveString(out var text, TimeSpan.Zero));
        Assert.Null(text);
        Assert.False(a.TryReceiveString(out text, TimeSpan.FromMilliseconds(20)));
        Assert.Null(text);
    }

    [Fact]
    public void TryReceiveString_Multipart_ThrowsAndLeavesItQueued()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        b.Send(new Message("one", "two"));
        Assert.Throws<InvalidOperationException>(() => a.TryReceiveString(out _, Patience));
        using var message = a.Receive();
        Assert.Equal(2, message.Count);
    }

    [Fact]
    public void TryReceiveString_NegativeTimeout_Throws()
    {
        using var socket = new PairSocket();
        Assert.Throws<ArgumentOutOfRangeException>(() => socket.TryReceiveString(out _, TimeSpan.FromSeconds(-2)));
    }

    [Fact]
    public async Task ReceiveStringAsync_WaitsForTheMessage()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        var pending = a.ReceiveStringAsync().AsTask();
        Assert.False(pending.IsCompleted);
        await b.SendAsync("late");
        Assert.Equal("late", await pending.WaitAsync(Patience));
    }

    [Fact]
    public async Task ReceiveStringAsync_OverTcp_ReturnsText()
    {
        using var a = new PairSocket();
        using var b = new PairSocket();
        b.Connect(a.Bind("tcp://127.0.0.1:*"));
        b.Send("over tcp");
        Assert.Equal("over tcp", await a.ReceiveStringAsync().AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task ReceiveStringAsync_Cancelled_ThrowsAndLaterMessagesStillArrive()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        using var cancel = new CancellationTokenSource();
        var pending = a.ReceiveStringAsync(cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Patience));
        b.Send("after");
        Assert.Equal("after", await a.ReceiveStringAsync().AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task ReceiveStringAsync_Multipart_ThrowsAndLeavesItQueued()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        b.Send(new Message("one", "two"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.ReceiveStringAsync().AsTask().WaitAsync(Patience));
        using var message = a.Receive();
        Assert.Equal("two", message.GetString(1));
    }

    [Fact]
    public async Task ReceiveStringAsync_SocketDisposed_ThrowsObjectDisposed()
    {
        using var pair = new InProcPair();
        var pending = pair.A.ReceiveStringAsync().AsTask();
        pair.A.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(Patience));
    }
}
