using System.Text;
using Expair.Protocol;

namespace Expair.Tests.Hostile;

/// <summary>
/// Bad bytes from a raw TCP peer: each is disconnected, never crashes the socket, and never disturbs the
/// healthy peer already on it.
/// </summary>
public class HostilePeerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static PairSocketOptions Options() => new()
    {
        ReceiveTimeout = Patience,
        SendTimeout = Patience,
        HandshakeTimeout = TimeSpan.FromSeconds(2),
        MaxMessageSize = 1024,
    };

    public static TheoryData<string, byte[]> HostileOpenings => new()
    {
        { "http request", Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n") },
        { "zmtp 1.0 frame", [0x06, 0x00, 0x41, 0x42, 0x43, 0x44, 0x45] },
        { "wrong signature end", [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 3, 1] },
        { "zmtp 2.0", RawPeer.Greeting(major: 1, minor: 0) },
        { "curve mechanism", RawPeer.Greeting(mechanism: "CURVE") },
        { "dealer socket type", [.. RawPeer.Greeting(), .. RawPeer.Ready("DEALER")] },
        { "message before ready", [.. RawPeer.Greeting(), 0x00, 0x01, 0x41] },
        { "reserved flag bits", [.. RawPeer.Greeting(), 0xF0, 0x00] },
        { "oversized frame", [.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR"), 0x02, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] },
        { "frame over max message size", [.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR"), 0x02, 0, 0, 0, 0, 0, 0, 0x10, 0x00] },
        { "half greeting then close", RawPeer.Greeting()[..20] },
    };

    [Theory]
    [MemberData(nameof(HostileOpenings))]
    public async Task HostileBytes_AreDisconnected_HealthyPeerKeepsWorking(string what, byte[] bytes)
    {
        using var server = new PairSocket(Options());
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var healthy = new PairSocket(Options());
        healthy.Connect(endpoint);
        healthy.Send("before");
        Assert.Equal("before", server.ReceiveString());

        using (var hostile = await RawPeer.ConnectAsync(endpoint))
        {
            await hostile.SendAsync(bytes);
            if (what == "half greeting then close")
                hostile.Dispose();
            else
                await hostile.ReadUntilClosedAsync(Patience); // throws if we never hang up on it
        }

        for (var i = 0; i < 100; i++)
        {
            healthy.Send($"after {i}");
            server.Send($"back {i}");
        }
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal($"after {i}", server.ReceiveString());
            Assert.Equal($"back {i}", healthy.ReceiveString());
        }
    }

    [Theory]
    [InlineData(2048)] // over MaxMessageSize (1024)
    [InlineData(long.MaxValue)] // a hostile 64-bit length: refused before anything is allocated
    public async Task OversizedFrame_FromTheOnlyPeer_IsDisconnected_ThenARealPeerWorks(long length)
    {
        using var server = new PairSocket(Options());
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using (var hostile = await RawPeer.ConnectAsync(endpoint))
        {
            var header = new byte[9];
            FrameHeader.Write(header, length, more: false);
            await hostile.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR"), .. header]);
            var reply = await hostile.ReadUntilClosedAsync(Patience);
            Assert.Equal(64 + RawPeer.Ready("PAIR").Length, reply.Length); // greeting + READY, then the hang-up
        }
        Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(100)));
        using var real = new PairSocket(Options());
        real.Connect(endpoint);
        real.Send("real");
        Assert.Equal("real", server.ReceiveString());
    }

    [Fact]
    public async Task WrongSocketType_GetsErrorCommandNamingTheReason()
    {
        using var server = new PairSocket(Options());
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var dealer = await RawPeer.ConnectAsync(endpoint);
        await dealer.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("DEALER")]);
        var reply = await dealer.ReadUntilClosedAsync(Patience);
        Assert.True(reply.Length > 64, "greeting then an ERROR command");
        var afterGreeting = reply.AsSpan(64);
        Assert.Equal(System.Buffers.OperationStatus.Done, FrameHeader.TryParse(afterGreeting, 1024, out var header));
        Assert.True(header.IsCommand);
        Assert.True(Commands.TryParse(afterGreeting.Slice(header.HeaderLength, (int)header.BodyLength), out var name, out var data));
        Assert.Equal("ERROR", Encoding.ASCII.GetString(name));
        Assert.Equal("Invalid socket type", Commands.ParseErrorReason(data));
    }

    [Fact]
    public async Task SilentConnection_IsClosedAfterHandshakeTimeout_AndNeverTakesTheSlot()
    {
        using var server = new PairSocket(Options());
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var squatter = await RawPeer.ConnectAsync(endpoint);
        using var real = new PairSocket(Options());
        real.Connect(endpoint);
        real.Send("real peer got in");
        Assert.Equal("real peer got in", server.ReceiveString());
        var bytes = await squatter.ReadUntilClosedAsync(Patience);
        Assert.Equal(64, bytes.Length); // our greeting, then the close at the handshake timeout
    }

    [Fact]
    public async Task PingFromPeer_IsAnsweredWithPongEchoingContext()
    {
        using var server = new PairSocket(Options());
        var endpoint = server.Bind("tcp://127.0.0.1:*");
        using var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")]);
        var handshake = await peer.ReadExactlyAsync(64 + RawPeer.Ready("PAIR").Length, Patience);
        Assert.Equal(RawPeer.Ready("PAIR"), handshake[64..]);
        var ping = new byte[64];
        var pingLength = Commands.WritePing(ping, 100, "ctx-123"u8);
        await peer.SendAsync(ping[..pingLength]);
        var expected = new byte[64];
        var pongLength = Commands.WritePong(expected, "ctx-123"u8);
        Assert.Equal(expected[..pongLength], await peer.ReadExactlyAsync(pongLength, Patience));
    }
}
