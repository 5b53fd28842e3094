using System.Buffers;
using Expair.Internal;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;

namespace Expair.Tests.Protocol;

/// <summary>FrameEncoder and FrameDecoder: the one encoding of every write path, and the one decoder.</summary>
public class FrameCodecTests
{
    [Fact]
    public void Encoder_CopiesSmallBodies_AndSendsLargeOnesFromTheirOwnArray()
    {
        var encoder = new FrameEncoder(new byte[4096]);
        var small = Frame.Copy([1, 2, 3], more: true);
        var large = Frame.Copy(new byte[FrameEncoder.ZeroCopyThreshold], more: false);
        Assert.Equal(5, encoder.Add(small));
        Assert.Equal(5 + 9 + FrameEncoder.ZeroCopyThreshold, encoder.Add(large));
        encoder.Close();

        Assert.Equal(2, encoder.Segments.Count); // headers and the small body, then the large body itself
        Assert.Same(large.Array, encoder.Segments[1].Array);
        Assert.Equal(FrameEncoder.ZeroCopyThreshold, encoder.ZeroCopyBytes);
        Assert.Equal([0x01, 3, 1, 2, 3, 0x02, 0, 0, 0, 0, 0, 0, 0x20, 0], encoder.Segments[0].ToArray());
        large.Release();
    }

    [Fact]
    public void Encoder_FitsMessage_CountsHeadersAndCopiedBodies()
    {
        var encoder = new FrameEncoder(new byte[64]);
        Frame[] fits = [Frame.Copy(new byte[30], more: true), Frame.Copy(new byte[30], more: false)]; // 2 + 30 + 2 + 30
        Frame[] tooLarge = [Frame.Copy(new byte[31], more: true), Frame.Copy(new byte[31], more: false)];
        Assert.True(encoder.Fits(fits, 64));
        Assert.False(encoder.Fits(tooLarge, 64));
    }

    [Fact]
    public void Decoder_EverySplitPoint_DecodesTheSameFramesAndCommands()
    {
        byte[] wire = [0x01, 2, 9, 9, 0x04, 5, 4, (byte)'P', (byte)'I', (byte)'N', (byte)'G', 0x00, 1, 7];
        for (var split = 0; split <= wire.Length; split++)
        {
            var decoder = new FrameDecoder(maxMessageSize: -1, maxInPlaceBody: 1024);
            var buffered = new List<byte>(wire[..split]);
            var seen = new List<string>();
            foreach (var next in wire[split..].Select(b => (byte?)b).Append(null))
            {
                while (true)
                {
                    var status = decoder.Decode(buffered.ToArray(), out var consumed, out var frame, out var command);
                    if (status == DecodeStatus.NeedMoreData)
                        break;
                    seen.Add(status == DecodeStatus.Command ? $"cmd{command.Length}" : $"{frame.Length}{(frame.More ? "+" : "")}");
                    buffered.RemoveRange(0, consumed);
                }
                if (next is { } b)
                    buffered.Add(b);
            }
            Assert.Equal(["2+", "cmd5", "1"], seen);
        }
    }

    [Fact]
    public void Decoder_LargeBody_IsPendingUntilItsBytesArrive()
    {
        var decoder = new FrameDecoder(maxMessageSize: -1, maxInPlaceBody: 16);
        byte[] header = [0x00, 40, 1, 2, 3];
        Assert.Equal(DecodeStatus.BodyPending, decoder.Decode(header, out var consumed, out _, out _));
        Assert.Equal(5, consumed);
        Assert.Equal(37, decoder.BodyRemaining);
        decoder.PendingBody.Fill(9);
        Assert.True(decoder.BodyReceived(37, out var whole));
        Assert.Equal(40, whole.Length);
        Assert.Equal([1, 2, 3, 9], whole.Span[..4].ToArray());
        whole.Release();
    }

    [Fact]
    public void Decoder_MessageOverMaxMessageSize_IsRefusedBeforeItsBody()
    {
        var decoder = new FrameDecoder(maxMessageSize: 10, maxInPlaceBody: 1024);
        Assert.Equal(DecodeStatus.Frame, decoder.Decode([0x01, 6, 0, 0, 0, 0, 0, 0], out _, out var first, out _));
        var e = Assert.Throws<ProtocolViolationException>(() => decoder.Decode([0x00, 5], out _, out _, out _));
        Assert.Equal("message larger than MaxMessageSize (10 bytes)", e.Message);
        first.Release();
    }

    [Fact]
    public void TransformingMechanism_WrapsAndUnwrapsEveryFrame_InOnePlaceEachWay()
    {
        using var mechanism = new XorMechanism();
        var encoder = new FrameEncoder(new byte[4096], mechanism);
        encoder.Add(Frame.Copy([1, 2, 3], more: true));
        encoder.Add(Frame.Copy(new byte[FrameEncoder.ZeroCopyThreshold + 5], more: false));
        encoder.AddCommand([4, (byte)'P', (byte)'I', (byte)'N', (byte)'G']);
        encoder.Close();
        var wire = encoder.Segments.SelectMany(s => s.ToArray()).ToArray();
        encoder.Reset(); // returns the array that held the large wrapped body

        var decoder = new FrameDecoder(maxMessageSize: -1, maxInPlaceBody: 1024, mechanism);
        var offset = 0;
        Assert.Equal(DecodeStatus.Frame, decoder.Decode(wire, out var used, out var first, out _));
        offset += used;
        Assert.Equal([1, 2, 3], first.Span.ToArray());
        Assert.True(first.More);
        Assert.Equal(DecodeStatus.BodyPending, decoder.Decode(wire.AsSpan(offset, 9), out used, out _, out _));
        offset += used;
        wire.AsSpan(offset, decoder.BodyRemaining).CopyTo(decoder.PendingBody);
        offset += decoder.BodyRemaining;
        Assert.True(decoder.BodyReceived(decoder.BodyRemaining, out var second));
        Assert.Equal(FrameEncoder.ZeroCopyThreshold + 5, second.Length);
        Assert.False(second.More);
        Assert.Equal(DecodeStatus.Command, decoder.Decode(wire.AsSpan(offset), out used, out _, out var command));
        Assert.Equal([4, (byte)'P', (byte)'I', (byte)'N', (byte)'G'], command.ToArray());
        Assert.Equal(wire.Length, offset + used);
        second.Release();
    }

    /// <summary>A stand-in for CURVE: prefixes the real flags and inverts the payload.</summary>
    private sealed class XorMechanism : IMechanism
    {
        public string Name => "XOR";
        public bool AsServer => false;
        public MechanismStatus Status => MechanismStatus.Ready;
        public CommandDue CommandDue => CommandDue.None;
        public PeerIdentity? Identity => null;
        public IReadOnlyDictionary<string, string>? PeerProperties => null;
        public string? FailureReason => null;
        public bool TransformsFrames => true;
        public void CheckPeerGreeting(PeerGreeting peer) { }
        public void WriteCommand(IBufferWriter<byte> body) => throw new InvalidOperationException();
        public void ReceiveCommand(ReadOnlySpan<byte> body) => throw new InvalidOperationException();
        public void CompleteAuthentication(string? denyReason) => throw new InvalidOperationException();
        public long WrappedLength(long payloadLength) => payloadLength + 1;
        public long UnwrappedLength(long wireLength) => wireLength - 1;

        public void WrapFrame(FrameFlags flags, ReadOnlySpan<byte> payload, Span<byte> wireBody)
        {
            wireBody[0] = (byte)flags;
            for (var i = 0; i < payload.Length; i++)
                wireBody[i + 1] = (byte)~payload[i];
        }

        public int UnwrapFrame(ReadOnlySpan<byte> wireBody, Span<byte> payload, out FrameFlags flags)
        {
            flags = (FrameFlags)wireBody[0];
            for (var i = 1; i < wireBody.Length; i++)
                payload[i - 1] = (byte)~wireBody[i]; // forward, so in place works
            return wireBody.Length - 1;
        }

        public int UnwrapFrameAt(ReadOnlySpan<byte> wireBody, Span<byte> output, out int payloadOffset, out FrameFlags flags)
        {
            payloadOffset = output.Overlaps(wireBody) ? 1 : 0; // in place the payload stays where it lies
            flags = (FrameFlags)wireBody[0];
            for (var i = 1; i < wireBody.Length; i++)
                output[i - 1 + payloadOffset] = (byte)~wireBody[i];
            return wireBody.Length - 1;
        }

        public void Dispose() { }
    }
}
