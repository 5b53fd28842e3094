using System.Buffers;
using System.Runtime.CompilerServices;
using Expair.Core;
using Expair.Internal;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;

namespace Expair.Engine;

/// <summary>
/// The send thread's frames between turns and the batch it encodes from them. Taken from the pipe in chunks (one
/// call per chunk): [0, held) went out in earlier batches but their message's last frame did not yet; [held,
/// Encoded) are in this batch; [Encoded, Pulled) wait. Ends[i] is where frame i ends in this batch's bytes, for
/// <see cref="SegmentSender.RequeueUnsent"/>. Used by the send thread only, under the writer's gate.
/// </summary>
internal sealed class SendBatch
{
    private const int BufferSize = 64 * 1024;

    /// <summary>
    /// Frames taken from the pipe per call; also bounds what is held beyond the high-water mark. Enough that a batch
    /// of tiny messages costs few turns of the pipe's lock shared with the sending caller.
    /// </summary>
    private const int PullChunk = 256;

    /// <summary>
    /// Large bodies per batch, in bytes: one syscall per MiB already costs little, and releasing a few buffers at a
    /// time lets <see cref="FramePool"/> recycle them instead of the sender allocating new ones.
    /// </summary>
    private const int MaxZeroCopyBatch = 1024 * 1024;

    /// <summary>Segments per batch (a gathered write takes a bounded number).</summary>
    private const int MaxSegments = 64;

    private Frame[] _frames = new Frame[PullChunk];
    private long[] _ends = new long[PullChunk];
    private int _pulled;
    private int _encoded;

    public SendBatch(IMechanism? mechanism) => Encoder = new FrameEncoder(ArrayPool<byte>.Shared.Rent(BufferSize), mechanism);

    public FrameEncoder Encoder { get; }

    /// <summary>True while frames are taken and not yet sent: nothing may overtake them.</summary>
    public bool Holds => _pulled > 0;

    /// <summary>
    /// Encodes the heartbeat commands due and as many queued frames as one batch takes; the number of messages whose
    /// last frame it holds comes out in <paramref name="messages"/>. False when there is nothing to send.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public bool Encode(Pipe outbound, Heartbeater heartbeater, out int messages)
    {
        var encoder = Encoder;
        messages = 0;
        heartbeater.WritePending(encoder);
        var held = _encoded;
        // Room for one more header and inline body: an inline frame is always copied, having no array to send from.
        while (encoder.Used <= BufferSize - FrameHeader.MaxSize - Frame.InlineCapacity && encoder.Segments.Count < MaxSegments
            && encoder.ZeroCopyBytes < MaxZeroCopyBatch)
        {
            if (_encoded == _pulled)
            {
                if (_pulled == _frames.Length)
                {
                    if (_encoded > held)
                        break;
                    // Held frames of one long multipart message fill the array: make room for the rest.
                    Array.Resize(ref _frames, _frames.Length * 2);
                    Array.Resize(ref _ends, _ends.Length * 2);
                }
                var got = outbound.TryReadFrames(_frames.AsSpan(_pulled), MaxZeroCopyBatch);
                if (got == 0)
                    break;
                _pulled += got;
            }
            var frame = _frames[_encoded];
            if (!frame.More)
                messages++;
            _ends[_encoded++] = encoder.Add(frame);
        }
        encoder.Close();
        return encoder.Segments.Count > 0;
    }

    /// <summary>
    /// The batch was written: releases every message whose last frame went out. The frames of one still being sent
    /// stay held at the front, so a later failure puts the whole message back (31/EXPAIR: messages are atomic).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public void Sent(Pipe outbound, int messages)
    {
        Encoder.Reset();
        var frames = _frames;
        var encoded = _encoded;
        var done = encoded; // up to the last frame that ends a message
        while (done > 0 && frames[done - 1].More)
            done--;
        for (var i = 0; i < done; i++)
            frames[i].Release();
        Array.Copy(frames, done, frames, 0, _pulled - done);
        Array.Clear(frames, _pulled - done, done);
        Array.Clear(_ends, 0, encoded); // only these were written since the last clear
        _pulled -= done;
        _encoded -= done;
        if (messages > 0)
            outbound.CompleteSent(messages);
    }

    /// <summary>The send loop ends: what it took goes back to the queue, except messages within <paramref name="doubtful"/> bytes.</summary>
    public void Abandon(Pipe outbound, long doubtful)
    {
        SegmentSender.RequeueUnsent(outbound, _frames.AsSpan(0, _pulled), _ends.AsSpan(0, _encoded), doubtful);
        _pulled = _encoded = 0;
        Encoder.Reset();
    }

    /// <summary>Gives the buffer back; writes block, so none is still reading it.</summary>
    public void Return() => ArrayPool<byte>.Shared.Return(Encoder.Buffer);
}
