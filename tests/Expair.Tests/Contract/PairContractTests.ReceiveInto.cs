namespace Expair.Tests.Contract;

/// <summary>The allocation-free receive overloads: into a caller's buffer, and into a reused message.</summary>
public abstract partial class PairContractTests
{
    [Fact]
    public void ReceiveIntoSpan_CopiesTheBytesAndReturnsTheLength()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            var sent = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
            client.Send(sent);
            client.Send(ReadOnlySpan<byte>.Empty);
            var buffer = new byte[1000];
            Assert.Equal(300, server.Receive(buffer));
            Assert.Equal(sent, buffer[..300]);
            Assert.Equal(0, server.Receive(buffer));
        }
    }

    [Fact]
    public void ReceiveIntoSpan_TooSmall_ThrowsWithTheSizeAndKeepsTheMessage()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            client.Send(new byte[100]);
            var error = Assert.Throws<ArgumentException>(() => server.Receive(new byte[99]));
            Assert.Contains("(100 bytes)", error.Message, StringComparison.Ordinal);
            Assert.Equal(100, server.Receive(new byte[100]));
        }
    }

    [Fact]
    public void ReceiveIntoSpan_OnMultipart_ThrowsAndKeepsTheMessage()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            client.Send(new Message("a", "b"));
            Assert.Throws<InvalidOperationException>(() => server.Receive(new byte[10]));
            using var message = server.Receive();
            Assert.Equal(["a", "b"], message.Select(f => System.Text.Encoding.UTF8.GetString(f.Span)));
        }
    }

    [Fact]
    public void TryReceiveIntoSpan_WithNothingQueued_ReturnsFalseAfterTheTimeout()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            Assert.False(server.TryReceive(new byte[10], out var length, TimeSpan.FromMilliseconds(50)));
            Assert.Equal(0, length);
            client.Send("x"u8);
            Assert.True(server.TryReceive(new byte[10], out length, Patience));
            Assert.Equal(1, length);
        }
    }

    [Fact]
    public void ReceiveIntoMessage_ReusedForEveryMessage_HoldsEachInTurn()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            client.Send(new Message("one", "two", "three"));
            client.Send("single");
            client.Send(new Message("x", ""));
            using var message = new Message("left", "over");
            server.Receive(message);
            Assert.Equal(["one", "two", "three"], Texts(message));
            server.Receive(message);
            Assert.Equal(["single"], Texts(message));
            server.Receive(message);
            Assert.Equal(["x", ""], Texts(message));
            Assert.False(server.TryReceive(message, TimeSpan.FromMilliseconds(20)));
            Assert.Equal(["x", ""], Texts(message)); // a receive that timed out leaves the message as it was
        }
    }

    [Fact]
    public async Task ReceiveAsyncIntoMessage_WaitsForTheNextMessage()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            using var message = new Message();
            var pending = server.ReceiveAsync(message).AsTask();
            Assert.False(pending.IsCompleted);
            client.Send(new Message("async", "reuse"));
            await pending.WaitAsync(Patience);
            Assert.Equal(["async", "reuse"], Texts(message));

            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await server.ReceiveAsync(message, cancel.Token));
            Assert.Equal(["async", "reuse"], Texts(message));
        }
    }

    [Fact]
    public void ReceiveIntoMessage_Disposed_Throws()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            var message = new Message();
            message.Dispose();
            Assert.Throws<ObjectDisposedException>(() => server.Receive(message));
        }
    }

    private static string[] Texts(Message message) => [.. message.Select(f => System.Text.Encoding.UTF8.GetString(f.Span))];
}
