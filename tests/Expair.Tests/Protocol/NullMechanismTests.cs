using System.Buffers;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;

namespace Expair.Tests.Protocol;

public class NullMechanismTests
{
    private static readonly KeyValuePair<string, string>[] Pair = [new("Socket-Type", "PAIR")];

    [Fact]
    public void WriteCommand_WritesReadyBodyOnce_AsFinalCommand()
    {
        using var mechanism = new NullMechanism(Pair);
        Assert.Equal("NULL", mechanism.Name);
        Assert.False(mechanism.AsServer);
        Assert.Equal(CommandDue.Final, mechanism.CommandDue);

        var body = new ArrayBufferWriter<byte>();
        mechanism.WriteCommand(body);

        var frame = new byte[64];
        var frameLength = Commands.WriteReady(frame, Pair);
        Assert.Equal(frame.AsSpan(2, frameLength - 2).ToArray(), body.WrittenSpan.ToArray()); // the frame minus its 2-byte header
        Assert.Equal(CommandDue.None, mechanism.CommandDue);
        Assert.Equal(MechanismStatus.Handshaking, mechanism.Status);
        Assert.Throws<InvalidOperationException>(() => mechanism.WriteCommand(body));
    }

    [Fact]
    public void ReceiveCommand_Ready_ExposesPeerProperties_ThenReadyOnceBothWays()
    {
        using var mechanism = new NullMechanism(Pair);
        mechanism.ReceiveCommand(ReadyBody(new("Socket-Type", "PAIR"), new("Identity", "me")));
        Assert.Equal("PAIR", mechanism.PeerProperties!["socket-type"]);
        Assert.Equal("me", mechanism.PeerProperties["Identity"]);
        Assert.Equal(MechanismStatus.Handshaking, mechanism.Status); // its own READY is still due
        mechanism.WriteCommand(new ArrayBufferWriter<byte>());
        Assert.Equal(MechanismStatus.Ready, mechanism.Status);
        Assert.Null(mechanism.Identity);
        Assert.False(mechanism.TransformsFrames);
    }

    [Theory]
    [InlineData(new byte[] { 0 }, "malformed command during the handshake")]
    [InlineData(new byte[] { 4, (byte)'P', (byte)'I', (byte)'N', (byte)'G' }, "expected READY during the handshake")]
    [InlineData(new byte[] { 5, (byte)'R', (byte)'E', (byte)'A', (byte)'D', (byte)'Y', 3, (byte)'a' }, "malformed READY metadata")]
    public void ReceiveCommand_BadInput_ThrowsWithReason(byte[] body, string reason)
    {
        using var mechanism = new NullMechanism(Pair);
        var e = Assert.Throws<ProtocolViolationException>(() => mechanism.ReceiveCommand(body));
        Assert.Equal(reason, e.Message);
    }

    [Fact]
    public void ReceiveCommand_SecondReady_IsAViolation()
    {
        using var mechanism = new NullMechanism(Pair);
        mechanism.ReceiveCommand(ReadyBody(new KeyValuePair<string, string>("Socket-Type", "PAIR")));
        var e = Assert.Throws<ProtocolViolationException>(() => mechanism.ReceiveCommand(ReadyBody(new KeyValuePair<string, string>("Socket-Type", "PAIR"))));
        Assert.Equal("expected READY during the handshake", e.Message);
    }

    private static byte[] ReadyBody(params KeyValuePair<string, string>[] properties)
    {
        var body = new byte[Commands.ReadyBodyLength(properties)];
        Assert.Equal(body.Length, Commands.WriteReadyBody(body, properties));
        return body;
    }
}
