using System.Buffers.Binary;
using Expair.Internal;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using static Expair.Tests.Security.CurveCommandsTests;

namespace Expair.Tests.Security;

/// <summary>CURVE MESSAGE traffic: flags, sizes, and refusal of replayed, reordered, forged and altered MESSAGEs.</summary>
public class CurveTrafficTests
{
    private static byte[] Key()
    {
        var key = new byte[32];
        Sodium.RandomBytes(key);
        return key;
    }

    private static (CurveTraffic Client, CurveTraffic Server) Pair(byte[] key) =>
        (new CurveTraffic(key, isServer: false, nextSendNonce: 3, lastReceivedNonce: 1), new CurveTraffic(key, isServer: true, nextSendNonce: 2, lastReceivedNonce: 2));

    private static byte[] Wrap(CurveTraffic sender, ReadOnlySpan<byte> payload, FrameFlags flags = FrameFlags.None)
    {
        var wire = new byte[CurveTraffic.WrappedLength(payload.Length)];
        sender.Wrap(flags, payload, wire);
        return wire;
    }

    private static byte[] Unwrap(CurveTraffic receiver, byte[] wire, out FrameFlags flags)
    {
        var payload = new byte[CurveTraffic.UnwrappedLength(wire.Length)];
        var length = receiver.Unwrap(wire, payload, out flags);
        return payload[..length];
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(70_000)]
    public void WrapAfterRoom_WritesTheSameMessageAsWrap_AndLeavesThePayloadAsItWas(int size)
    {
        var key = Key();
        var (copying, _) = Pair(key);
        var (fromRoom, server) = Pair(key);
        using (copying)
        using (fromRoom)
        using (server)
        {
            var payload = new byte[size];
            Random.Shared.NextBytes(payload);
            var roomAndPayload = new byte[1 + size];
            payload.CopyTo(roomAndPayload, 1);
            foreach (var flags in new[] { FrameFlags.None, FrameFlags.More, FrameFlags.Command, FrameFlags.More | FrameFlags.Command })
            {
                roomAndPayload[0] = 0xA5; // whatever the free byte held
                var wire = new byte[CurveTraffic.WrappedLength(size)];
                fromRoom.WrapAfterRoom(flags, roomAndPayload, wire);
                Assert.Equal(Wrap(copying, payload, flags), wire); // same nonce, same key: byte for byte
                Assert.Equal(payload, roomAndPayload[1..]);
                Assert.Equal(payload, Unwrap(server, wire, out var got));
                Assert.Equal(flags, got);
            }
            Assert.Throws<ArgumentException>(() => fromRoom.WrapAfterRoom(FrameFlags.None, roomAndPayload, new byte[CurveTraffic.WrappedLength(size) + 1]));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(70_000)]
    public void RoundTrip_AnySize_BothDirections_AllFlags(int size)
    {
        var (client, server) = Pair(Key());
        using (client)
        using (server)
        {
            var payload = new byte[size];
            Random.Shared.NextBytes(payload);
            foreach (var flags in new[] { FrameFlags.None, FrameFlags.More, FrameFlags.Command, FrameFlags.More | FrameFlags.Command })
            {
                var wire = Wrap(client, payload, flags);
                Assert.Equal(33 + size, wire.Length);
                Assert.Equal(payload, Unwrap(server, wire, out var got));
                Assert.Equal(flags, got);
                Assert.Equal(payload, Unwrap(client, Wrap(server, payload, flags), out got));
                Assert.Equal(flags, got);
            }
        }
    }

    [Fact]
    public void Nonces_CountUpFromTheHandshake()
    {
        var (client, server) = Pair(Key());
        Assert.Equal(3UL, BinaryPrimitives.ReadUInt64BigEndian(Wrap(client, "a"u8).AsSpan(8)));
        Assert.Equal(4UL, BinaryPrimitives.ReadUInt64BigEndian(Wrap(client, "b"u8).AsSpan(8)));
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64BigEndian(Wrap(server, "c"u8).AsSpan(8)));
    }

    [Fact]
    public void Replayed_IsRefused_AndTheNextGenuineStillOpens()
    {
        var (client, server) = Pair(Key());
        var first = Wrap(client, "one"u8);
        Unwrap(server, first, out _);
        AssertViolation(() => Unwrap(server, first, out _), "short nonce 3 is not above the last one, 3 (replayed or reordered)");
        Assert.Equal("two"u8.ToArray(), Unwrap(server, Wrap(client, "two"u8), out _));
    }

    [Fact]
    public void Reordered_IsRefused_GapsAreAllowed()
    {
        var (client, server) = Pair(Key());
        var first = Wrap(client, "1"u8);
        var second = Wrap(client, "2"u8);
        var third = Wrap(client, "3"u8);
        Unwrap(server, second, out _);
        AssertViolation(() => Unwrap(server, first, out _), "short nonce 3 is not above the last one, 4");
        Assert.Equal("3"u8.ToArray(), Unwrap(server, third, out _));
    }

    [Fact]
    public void AnyFlippedBit_IsRefused_AndDoesNotMoveTheCounter()
    {
        var (client, server) = Pair(Key());
        var wire = Wrap(client, "payload"u8, FrameFlags.More);
        for (var bit = 8 * 8; bit < wire.Length * 8; bit++)
        {
            var altered = wire.ToArray();
            altered[bit / 8] ^= (byte)(1 << (bit % 8));
            var e = Assert.Throws<ProtocolViolationException>(() => Unwrap(server, altered, out _));
            Assert.True(e.Message.Contains("does not open") || e.Message.Contains("not above"), e.Message);
        }
        Assert.Equal("payload"u8.ToArray(), Unwrap(server, wire, out _));
    }

    [Fact]
    public void OwnDirection_IsRefused()
    {
        // A MESSAGE reflected back to its sender uses the sender's own nonce prefix: it does not open.
        var (client, _) = Pair(Key());
        var receiver = new CurveTraffic(Key(), isServer: false, 3, 0);
        var sameKey = Key();
        var a = new CurveTraffic(sameKey, isServer: false, 3, 0);
        var b = new CurveTraffic(sameKey, isServer: false, 3, 0);
        AssertViolation(() => Unwrap(b, Wrap(a, "x"u8), out _), "the box does not open");
        AssertViolation(() => Unwrap(receiver, Wrap(client, "x"u8), out _), "the box does not open");
    }

    [Fact]
    public void ReservedFlagBits_AreRefused()
    {
        var key = Key();
        var server = new CurveTraffic(key, isServer: true, 2, 2);
        var wire = new byte[34];
        MechanismCommands.WriteName(wire, "MESSAGE");
        BinaryPrimitives.WriteUInt64BigEndian(wire.AsSpan(8), 3);
        var nonce = new byte[24];
        CurveNonce.Short(nonce, CurveNonce.MessageFromClient, 3);
        Sodium.BoxAfterNm(wire.AsSpan(16), [0x04, 0x41], nonce, key);
        AssertViolation(() => Unwrap(server, wire, out _), "reserved flag bits set (0x04)");
    }

    [Fact]
    public void TooShortOrWrongName_IsRefused()
    {
        var (client, server) = Pair(Key());
        var wire = Wrap(client, ""u8);
        AssertViolation(() => Unwrap(server, wire[..32], out _), "CURVE MESSAGE: 32 bytes, fewer than 33");
        wire[1] = (byte)'m';
        AssertViolation(() => Unwrap(server, wire, out _), "expected MESSAGE, received mESSAGE");
    }

    [Fact]
    public void WrapAndUnwrap_AllocateNothing()
    {
        var (client, server) = Pair(Key());
        var payload = new byte[1024];
        var wire = new byte[CurveTraffic.WrappedLength(payload.Length)];
        var received = new byte[CurveTraffic.UnwrappedLength(wire.Length)];
        for (var i = 0; i < 10; i++)
        {
            client.Wrap(FrameFlags.More, payload, wire);
            server.Unwrap(wire, received, out _);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            client.Wrap(FrameFlags.More, payload, wire);
            server.Unwrap(wire, received, out _);
            server.Wrap(FrameFlags.None, payload, wire);
            client.Unwrap(wire, wire, out _);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Dispose_ZeroesTheKey_SoNothingOpensAfterwards()
    {
        var (client, server) = Pair(Key());
        var wire = Wrap(client, "late"u8);
        server.Dispose();
        AssertViolation(() => Unwrap(server, wire, out _), "the box does not open");
    }
}
