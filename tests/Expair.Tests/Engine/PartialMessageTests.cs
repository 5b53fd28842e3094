using Expair.Tests.Hostile;

namespace Expair.Tests.Engine;

/// <summary>What a connection does with a message whose body is still arriving, and with the reads around large bodies.</summary>
public sealed class PartialMessageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WholeMessage_AheadOfALargeOneStillArriving_IsReceivedWithoutWaitingForIt()
    {
        const int Large = 1024 * 1024;
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        using var peer = await HandshakenPeerAsync(server);

        // One write: a whole one-byte message, then a 1 MiB message's header and its first 1000 bytes. The rest
        // of that body comes only after the first message was received, so waiting for it would time out.
        var body = Enumerable.Range(0, Large).Select(i => (byte)(i * 31 + 7)).ToArray();
        byte[] longHeader = [0x02, .. BitConverter.GetBytes((long)Large).Reverse()];
        await peer.SendAsync([0x00, 0x01, (byte)'A', .. longHeader, .. body[..1000]]);

        Assert.True(server.TryReceive(out var first, Patience), "the whole message waited for the partial one");
        using (first)
            Assert.Equal("A"u8.ToArray(), first![0].ToArray());

        await peer.SendAsync(body[1000..]);
        using var second = server.Receive();
        Assert.True(second.Count == 1 && body.AsSpan().SequenceEqual(second[0].Span), "the large message arrived changed");
    }
    [Fact]
    public async Task MessagesBehindALargeOne_InOneStream_ArriveWholeAndInOrder()
    {
        // After a large body the next read asks for less than the receive buffer holds; frames of every size
        // after it (headers cut by that read, bodies straddling it, another large body) must still decode.
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        using var peer = await HandshakenPeerAsync(server);

        var sizes = new List<int> { 1024 * 1024 };
        for (var i = 0; i < 3000; i++)
            sizes.Add(i % 7 == 0 ? 300 + i : i % 50); // short and long headers, bodies of 0 B to 3.3 KiB
        sizes.AddRange([200 * 1024, 70_000, 5, 1024 * 1024, 0]);
        var stream = new List<byte>();
        var bodies = new List<byte[]>();
        foreach (var size in sizes)
        {
            var body = Enumerable.Range(0, size).Select(b => (byte)(b * 13 + bodies.Count)).ToArray();
            bodies.Add(body);
            stream.AddRange(size < 256 ? [0x00, (byte)size] : [0x02, .. BitConverter.GetBytes((long)size).Reverse()]);
            stream.AddRange(body);
        }
        await peer.SendAsync([.. stream]);

        for (var i = 0; i < bodies.Count; i++)
        {
            Assert.True(server.TryReceive(out var message, Patience), $"message {i} of {bodies.Count} never came");
            using (message)
                Assert.True(message!.Count == 1 && bodies[i].AsSpan().SequenceEqual(message[0].Span), $"message {i} ({bodies[i].Length} B) arrived changed");
        }
    }
    [Fact]
    public async Task ReadAfterALargeBody_AsksForNoMoreThan8KiB_SoTheNextLargeBodyIsNotCopiedTwice()
    {
        // A stream of large messages, the receiver held back by a high-water mark of one so the sender runs ahead:
        // each read after a large body finds far more than 8 KiB waiting, and must take only 8 KiB of it.
        const int Messages = 30, Size = 100 * 1024;
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience, ReceiveHighWaterMark = 1 });
        using var peer = await HandshakenPeerAsync(server);

        byte[] header = [0x02, .. BitConverter.GetBytes((long)Size).Reverse()];
        var stream = new List<byte>();
        for (var i = 0; i < Messages; i++)
            stream.AddRange([.. header, .. Enumerable.Repeat((byte)i, Size)]);
        var sending = peer.SendAsync([.. stream]);

        for (var i = 0; i < Messages; i++)
        {
            Assert.True(server.TryReceive(out var message, Patience), $"message {i} of {Messages} never came");
            using (message)
                Assert.True(message![0].Length == Size && message[0].Span.IndexOfAnyExcept((byte)i) < 0, $"message {i} arrived changed");
        }
        await sending;
        var engine = RunningConnection.Of(server, Patience);
        Assert.NotNull(engine);
        Assert.InRange(engine.LargestReadAfterLargeBody, 1, 8 * 1024);
    }

    /// <summary>A raw ZMTP peer connected to <paramref name="server"/> over tcp, past the handshake.</summary>
    private static async Task<RawPeer> HandshakenPeerAsync(PairSocket server)
    {
        var peer = await RawPeer.ConnectAsync(server.Bind("tcp://127.0.0.1:*"));
        try
        {
            await peer.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")]);
            await peer.ReadExactlyAsync(64 + RawPeer.Ready("PAIR").Length, Patience);
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }
}
