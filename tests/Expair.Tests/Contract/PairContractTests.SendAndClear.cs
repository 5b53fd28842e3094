namespace Expair.Tests.Contract;

/// <summary>Sends that hand the message's buffers to the socket instead of copying them.</summary>
public abstract partial class PairContractTests
{
    private static byte[] Pattern(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 + seed)).ToArray();

    [Fact]
    public async Task SendAndClear_BytesWrittenInPlace_ArriveExactly_AndTheMessageIsReusable()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            using var outgoing = new Message();
            for (var round = 0; round < 3; round++)
            {
                // A multipart message: a small frame (inline), an empty one, and a large one written in place.
                outgoing.Add($"round {round}");
                outgoing.AddBuffer(0);
                Pattern(200_000, round).CopyTo(outgoing.AddBuffer(200_000));
                if (round == 1)
                    await client.SendAndClearAsync(outgoing);
                else
                    client.SendAndClear(outgoing);
                Assert.Empty(outgoing);

                using var received = server.Receive();
                Assert.Equal(3, received.Count);
                Assert.Equal($"round {round}", received.GetString(0));
                Assert.Equal(0, received[1].Length);
                Assert.Equal(Pattern(200_000, round), received.ToArray(2));
            }
        }
    }

    [Fact]
    public void SendAndClear_EchoesAReceivedMessage_WithoutCopying()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            using var echo = new Message();
            for (var i = 0; i < 50; i++)
            {
                client.Send(new Message($"hello {i}", new string('x', i * 100)));
                server.Receive(echo);
                server.SendAndClear(echo);
                using var back = client.Receive();
                Assert.Equal($"hello {i}", back.GetString(0));
                Assert.Equal(new string('x', i * 100), back.GetString(1));
            }
        }
    }

    [Fact]
    public async Task SendAndClear_ThatDoesNotGo_LeavesTheMessageItsFrames()
    {
        using var lonely = new PairSocket(Options());
        lonely.Bind(NewEndpoint()); // no peer: nothing can be sent
        using var message = new Message("keep");
        Pattern(100, 7).CopyTo(message.AddBuffer(100));

        Assert.False(lonely.TrySendAndClear(message, TimeSpan.FromMilliseconds(100)));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lonely.SendAndClearAsync(message, cancel.Token).AsTask());

        Assert.Equal(2, message.Count);
        Assert.Equal("keep", message.GetString(0));
        Assert.Equal(Pattern(100, 7), message.ToArray(1));
    }

    [Fact]
    public void SendAndClear_EmptyMessage_IsRefused()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            using var empty = new Message();
            Assert.Throws<ArgumentException>(() => client.SendAndClear(empty));
            Assert.Throws<ArgumentOutOfRangeException>(() => empty.AddBuffer(-1));
        }
    }
}
