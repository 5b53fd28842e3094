using Expair.Protocol;
using Expair.Protocol.Mechanisms;

namespace Expair.Tests.Protocol;

/// <summary>The handshake state machine with no I/O: two of them talk to each other through their outputs.</summary>
public class ZmtpHandshakeTests
{
    private static readonly KeyValuePair<string, string>[] Pair = [new("Socket-Type", "PAIR")];

    [Fact]
    public void NullClientAndServer_CompleteOnlyOnceTheServerReleasesItsFinalReady()
    {
        var client = new ZmtpHandshake(new NullMechanism(Pair), holdFinalCommand: false, 1024);
        var server = new ZmtpHandshake(new NullMechanism(Pair), holdFinalCommand: true, 1024);
        var greeting = Take(client);
        Assert.Equal(64, greeting.Length); // the greeting alone, until the peer's arrives

        Deliver(server, greeting);
        Deliver(client, Take(server));
        Deliver(server, Take(client)); // the client's READY
        Assert.NotNull(server.PeerProperties);
        Assert.True(server.FinalCommandHeld);
        Assert.Empty(Take(server).ToArray());
        Assert.False(server.IsComplete);

        server.ReleaseFinalCommand();
        Assert.True(server.IsComplete);
        Deliver(client, Take(server));
        Assert.True(client.IsComplete);
        Assert.Equal("PAIR", client.PeerProperties!["Socket-Type"]);
    }

    [Fact]
    public void BytesAfterThePeersReady_AreLeftForTraffic()
    {
        var client = new ZmtpHandshake(new NullMechanism(Pair), holdFinalCommand: false, 1024);
        var peer = new byte[64];
        Greeting.Write(peer);
        var ready = new byte[64];
        var readyLength = Commands.WriteReady(ready, Pair);
        byte[] received = [.. peer, .. ready[..readyLength], 0x00, 1, 42];
        Assert.Equal(received.Length - 3, client.Receive(received));
        Assert.True(client.IsComplete);
    }

    [Fact]
    public void PeerOfAnotherSocketType_GetsErrorAndFails()
    {
        var server = new ZmtpHandshake(new NullMechanism(Pair), holdFinalCommand: true, 1024);
        var peer = new byte[64];
        Greeting.Write(peer);
        var ready = new byte[64];
        var readyLength = Commands.WriteReady(ready, [new("Socket-Type", "DEALER")]);
        Take(server);
        server.Receive([.. peer, .. ready[..readyLength]]);
        Assert.Equal("Invalid socket type: peer socket type is DEALER; a PAIR socket only talks to PAIR", server.Failure?.Message);
        var error = new byte[64];
        Assert.Equal(error[..Commands.WriteError(error, "Invalid socket type")], Take(server).ToArray());
    }

    [Theory]
    [InlineData("PLAIN", "peer uses security mechanism 'PLAIN'; this socket uses NULL")]
    [InlineData("ERROR", "peer sent ERROR: go away")]
    [InlineData("DATA", "peer sent a message before completing the handshake")]
    public void PeerBreakingTheHandshake_IsAViolationWithItsReason(string what, string reason)
    {
        var handshake = new ZmtpHandshake(new NullMechanism(Pair), holdFinalCommand: false, 1024);
        var greeting = new byte[64];
        Greeting.Write(greeting, what == "PLAIN" ? "PLAIN" : "NULL");
        var frame = new byte[64];
        var length = what == "ERROR" ? Commands.WriteError(frame, "go away") : 3;
        if (what == "DATA")
            frame[1] = 1;
        var e = Assert.Throws<ProtocolViolationException>(() => handshake.Receive([.. greeting, .. frame[..length]]));
        Assert.Equal(reason, e.Message);
    }

    private static ReadOnlySpan<byte> Take(ZmtpHandshake handshake)
    {
        var bytes = handshake.Output.WrittenSpan.ToArray();
        handshake.Output.ResetWrittenCount();
        return bytes;
    }

    private static void Deliver(ZmtpHandshake to, ReadOnlySpan<byte> bytes) => Assert.Equal(bytes.Length, to.Receive(bytes));
}
