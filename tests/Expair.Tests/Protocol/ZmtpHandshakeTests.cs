using System.Buffers;
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
    [InlineData("PLAIN", "security mechanism mismatch: peer uses PLAIN, this socket uses NULL")]
    [InlineData("ERROR", "peer sent ERROR: go away")]
    [InlineData("LIBZMQ-ERROR", "peer sent ERROR: go away")]
    [InlineData("DATA", "peer sent a message before completing the handshake")]
    public void PeerBreakingTheHandshake_IsAViolationWithItsReason(string what, string reason)
    {
        var handshake = new ZmtpHandshake(new NullMechanism(Pair), holdFinalCommand: false, 1024);
        var greeting = new byte[64];
        Greeting.Write(greeting, what == "PLAIN" ? "PLAIN" : "NULL");
        var frame = new byte[64];
        var length = what == "ERROR" ? Commands.WriteError(frame, "go away") : 3;
        if (what == "LIBZMQ-ERROR")
        {
            // libzmq 4.3.4's PLAIN server writes its ERROR's name as 0x5E "RROR" (a C escape bug).
            byte[] malformed = [0x04, 13, 0x5E, .. "RROR"u8, 7, .. "go away"u8];
            malformed.CopyTo(frame, 0);
            length = malformed.Length;
        }
        if (what == "DATA")
            frame[1] = 1;
        var e = Assert.Throws<ProtocolViolationException>(() => handshake.Receive([.. greeting, .. frame[..length]]));
        Assert.Equal(reason, e.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong password")]
    public void MechanismThatAsksForAuthentication_WaitsForTheAnswer_ThenWelcomesOrSendsError(string? denyReason)
    {
        var handshake = new ZmtpHandshake(new AskingMechanism(), holdFinalCommand: true, 1024);
        Take(handshake);
        var greeting = new byte[64];
        Greeting.Write(greeting, "PLAIN");
        byte[] hello = [0x04, 6, 5, .. "HELLO"u8];
        Assert.Equal(64 + hello.Length, handshake.Receive([.. greeting, .. hello]));
        Assert.Equal("user", handshake.PendingAuthentication?.UserName);
        Assert.Empty(Take(handshake).ToArray()); // nothing goes out while the authenticator is asked

        handshake.Authenticate(denyReason);
        Assert.Null(handshake.PendingAuthentication);
        if (denyReason is null)
        {
            Assert.Null(handshake.Failure);
            Assert.Equal([0x04, 8, 7, .. "WELCOME"u8], Take(handshake).ToArray());
        }
        else
        {
            Assert.Equal(denyReason, handshake.Failure?.Message);
            var error = new byte[64];
            Assert.Equal(error[..Commands.WriteError(error, denyReason)], Take(handshake).ToArray());
        }
    }

    /// <summary>The server half of a PLAIN-like exchange: HELLO, the authenticator's answer, then WELCOME or ERROR.</summary>
    private sealed class AskingMechanism : IMechanism
    {
        private string? _deny;
        private int _step; // 0 HELLO awaited, 1 asking, 2 WELCOME due, 3 ERROR due, 4 failed, 5 welcomed

        public string Name => "PLAIN";
        public bool AsServer => true;
        public MechanismStatus Status => _step switch { 1 => MechanismStatus.AuthenticationNeeded, 4 => MechanismStatus.Failed, _ => MechanismStatus.Handshaking };
        public CommandDue CommandDue => _step is 2 or 3 ? CommandDue.Next : CommandDue.None;
        public PeerIdentity? Identity => _step == 1 ? new PeerIdentity("PLAIN", "user", "secret", null) : null;
        public IReadOnlyDictionary<string, string>? PeerProperties => null;
        public string? FailureReason => _deny;
        public bool TransformsFrames => false;
        public void CheckPeerGreeting(PeerGreeting peer) { }

        public void WriteCommand(IBufferWriter<byte> body)
        {
            byte[] bytes = _step == 2 ? [7, .. "WELCOME"u8] : [5, .. "ERROR"u8, (byte)_deny!.Length, .. System.Text.Encoding.ASCII.GetBytes(_deny)];
            body.Write(bytes);
            _step = _step == 2 ? 5 : 4;
        }

        public void ReceiveCommand(ReadOnlySpan<byte> body) => _step = _step == 0 ? 1 : throw new ProtocolViolationException("unexpected command");

        public void CompleteAuthentication(string? denyReason)
        {
            _deny = denyReason;
            _step = denyReason is null ? 2 : 3;
        }

        public long WrappedLength(long payloadLength) => payloadLength;
        public void WrapFrame(FrameFlags flags, ReadOnlySpan<byte> payload, Span<byte> wireBody) => throw new InvalidOperationException();
        public long UnwrappedLength(long wireLength) => wireLength;
        public int UnwrapFrame(ReadOnlySpan<byte> wireBody, Span<byte> payload, out FrameFlags flags) => throw new InvalidOperationException();
        public int UnwrapFrameAt(ReadOnlySpan<byte> wireBody, Span<byte> output, out int payloadOffset, out FrameFlags flags) => throw new InvalidOperationException();
        public void Dispose() { }
    }

    private static ReadOnlySpan<byte> Take(ZmtpHandshake handshake)
    {
        var bytes = handshake.Output.WrittenSpan.ToArray();
        handshake.Output.ResetWrittenCount();
        return bytes;
    }

    private static void Deliver(ZmtpHandshake to, ReadOnlySpan<byte> bytes) => Assert.Equal(bytes.Length, to.Receive(bytes));
}
