using Expair.Tests.Hostile;

namespace Expair.Tests.Engine;

/// <summary>What a connection does with a message whose body is still arriving.</summary>
public sealed class PartialMessageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WholeMessage_AheadOfALargeOneStillArriving_IsReceivedWithoutWaitingForIt()
    {
        const int Large = 1024 * 1024;
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")]);
        await peer.ReadExactlyAsync(64 + RawPeer.Ready("PAIR").Length, Patience);

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
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")]);
        await peer.ReadExactlyAsync(64 + RawPeer.Ready("PAIR").Length, Patience);

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
}
