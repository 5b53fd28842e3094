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
}
