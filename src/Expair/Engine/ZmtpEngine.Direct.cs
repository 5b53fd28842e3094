using System.Diagnostics;
using System.Net.Sockets;
using Expair.Core;
using Expair.Internal;
using Expair.Protocol;

namespace Expair.Engine;

/// <summary>
/// Direct writes: when a caller queues a message on an idle connection — the queue was empty and the send thread
/// is asleep — the caller's own thread writes it to the socket (without waiting: the kernel takes it or not)
/// instead of waking the send thread, which saves a wake-up on every request and every reply. While messages come
/// faster than that, the send thread is awake and batches them. Large bodies go from their own buffers, not copied,
/// as the send thread sends them. The send thread and direct writers take turns under <see cref="_sendGate"/>, so
/// the stream's bytes never interleave and messages leave in queue order; what a direct write could not finish
/// (a body larger than the kernel's free send buffer, say) is handed to the send thread, which writes it before
/// anything else.
/// </summary>
internal sealed partial class ZmtpEngine : IEagerReader
{
    /// <summary>
    /// A caller writes directly only if the previous direct write was at least this long ago. Requests and replies
    /// are further apart than that; a burst is not, and its messages are left to the send thread, which batches
    /// many into one system call where direct writes would make one each.
    /// </summary>
    private static readonly long DirectGapTicks = Stopwatch.Frequency * 20 / 1_000_000;

    /// <summary>
    /// Bytes a direct write copies: frame headers and small bodies. Larger bodies go to the kernel from their own
    /// buffers (as the send thread sends them), so a large message too is written without waking the send thread.
    /// </summary>
    private const int DirectBufferSize = 4096;

    private readonly Lock _sendGate = new();
    private readonly Frame[] _directFrames = new Frame[16];
    private readonly long[] _directEnds = new long[16];
    private readonly List<ArraySegment<byte>> _directPieces = [];
    private byte[]? _directBuffer;
    private long _lastDirect; // Stopwatch timestamp of the last direct write
    private bool _sendThreadHolds; // the send thread has frames taken and not yet sent: nothing may overtake them
    private bool _trafficEnded;

    /// <summary>
    /// What a direct write left unsent, for the send thread to finish before anything else: the first
    /// <see cref="Count"/> direct frames (ending at <see cref="_directEnds"/>) in <see cref="_directPieces"/>, of
    /// which <see cref="Sent"/> bytes went. No direct write starts while one is pending, so these stay put.
    /// </summary>
    private readonly record struct Handover(int Count, int Messages, long Sent);

    private Handover? _handover;

    /// <summary>Lets callers write directly once the traffic phase starts, where writes that never wait exist.</summary>
    private void EnableDirectWrites()
    {
        if (_io!.CanSendWithoutWaiting)
            _pipes!.Outbound.EagerReader = this;
    }

    /// <summary>After both loops ended: no more direct writes, and a handed-over remainder goes back to the queue.</summary>
    private void EndDirectWrites()
    {
        var outbound = _pipes!.Outbound;
        lock (_sendGate)
        {
            _trafficEnded = true;
            if (outbound.EagerReader == this)
                outbound.EagerReader = null;
            SettleHandover(outbound, doubtful: _handover?.Sent ?? 0);
        }
    }

    bool IEagerReader.TryTakeNow(ReadOnlySpan<Frame> message)
    {
        var outbound = _pipes!.Outbound;
        // Only on an idle line (the pipe calls this only when the send thread found it empty and marked itself
        // waiting): a send thread awake (spinning or writing) means a stream that it batches better than one system
        // call per message would.
        if (outbound.Readable.Waiters == 0 || !FitsDirectWrite(message))
            return false;
        if (TryHandOverReply(message.Length))
            return true; // the receive thread, waiting for a reply, writes it
        var now = Stopwatch.GetTimestamp();
        if (now - Volatile.Read(ref _lastDirect) < DirectGapTicks)
            return false;
        return TryWriteDirect(outbound, message.Length, now); // a socket failure comes back as false: the woken send thread deals with it
    }

    /// <summary>
    /// Writes the first queued message (<paramref name="frameCount"/> frames) directly if the gate is free and
    /// nothing the send thread holds or has to finish could be overtaken. True when all of it went.
    /// </summary>
    private bool TryWriteDirect(Pipe outbound, int frameCount, long now)
    {
        if (!_sendGate.TryEnter())
            return false;
        try
        {
            if (_trafficEnded || _sendThreadHolds || _handover is not null || _stop.IsCancellationRequested)
                return false;
            Volatile.Write(ref _lastDirect, now);
            return WriteDirect(outbound, frameCount);
        }
        finally
        {
            _sendGate.Exit();
        }
    }

    /// <summary>The message's headers and copied bodies fit the direct buffer, and its frames the direct arrays.</summary>
    private bool FitsDirectWrite(ReadOnlySpan<Frame> message)
    {
        if (message.Length > _directFrames.Length)
            return false;
        var used = 0;
        foreach (var frame in message)
        {
            used += FrameHeader.MaxSize + (CopiedDirect(frame, used) ? frame.Length : 0);
            if (used > DirectBufferSize)
                return false;
        }
        return true;
    }

    /// <summary>A body is copied into the direct buffer when it is small and fits after <paramref name="used"/> bytes; else it goes from its own array.</summary>
    private static bool CopiedDirect(in Frame frame, int used) =>
        frame.IsInline || (frame.Length < ZeroCopyThreshold && frame.Length <= DirectBufferSize - used - FrameHeader.MaxSize);

    /// <summary>
    /// Takes the message just queued and writes it without waiting; under the gate. True when all of it went
    /// (the send thread need not wake); otherwise what did not go is handed over to it, or put back.
    /// </summary>
    private bool WriteDirect(Pipe outbound, int frameCount)
    {
        var frames = _directFrames;
        // The pipe was empty before this message, so its frames come first (unless another sender's came in
        // between: a message cut by the take is then put back for the send thread).
        var count = outbound.TryReadFrames(frames.AsSpan(0, frameCount));
        if (count == 0)
            return false;
        var pieces = _directPieces;
        var total = EncodeDirect(frames.AsSpan(0, count), out var messages);
        if (total < 0)
        {
            outbound.Unread(frames.AsSpan(0, count)); // back in front, in order; Unread wakes the send thread
            System.Array.Clear(frames);
            pieces.Clear();
            return false;
        }
        long sent;
        try
        {
            sent = _io!.SendNow(pieces);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            sent = 0; // nothing of this call went: the send thread retries and meets the failure itself
        }
        if (sent < total)
        {
            _handover = new Handover(count, messages, sent);
            return false;
        }
        for (var i = 0; i < count; i++)
            frames[i].Release();
        outbound.CompleteSent(messages);
        System.Array.Clear(frames, 0, count);
        pieces.Clear();
        return true;
    }

    /// <summary>
    /// Encodes <paramref name="frames"/> into <see cref="_directPieces"/>: headers and small bodies copied into the
    /// direct buffer, large bodies as pieces of their own. Returns the bytes in all, or -1 when they do not fit
    /// (or the last frame is not a message's last).
    /// </summary>
    private long EncodeDirect(ReadOnlySpan<Frame> frames, out int messages)
    {
        messages = 0;
        if (frames[^1].More)
            return -1;
        var buffer = _directBuffer ??= new byte[DirectBufferSize];
        var pieces = _directPieces;
        var used = 0;
        var pieceStart = 0;
        long closed = 0; // bytes in the pieces already added
        for (var i = 0; i < frames.Length; i++)
        {
            ref readonly var frame = ref frames[i];
            var copied = CopiedDirect(frame, used);
            if (FrameHeader.MaxSize + (copied ? frame.Length : 0) > DirectBufferSize - used)
                return -1;
            used += FrameHeader.Write(buffer.AsSpan(used), frame.Length, frame.More);
            if (copied)
            {
                frame.Span.CopyTo(buffer.AsSpan(used));
                used += frame.Length;
            }
            else
            {
                pieces.Add(new ArraySegment<byte>(buffer, pieceStart, used - pieceStart));
                pieces.Add(new ArraySegment<byte>(frame.Array, 0, frame.Length));
                closed += used - pieceStart + frame.Length;
                pieceStart = used;
            }
            _directEnds[i] = closed + used - pieceStart;
            messages += frame.More ? 0 : 1;
        }
        if (used > pieceStart)
            pieces.Add(new ArraySegment<byte>(buffer, pieceStart, used - pieceStart));
        return closed + used - pieceStart;
    }

    /// <summary>The send thread, under the gate: writes what a direct write left, before anything else.</summary>
    private void FinishHandover(Pipe outbound)
    {
        if (_handover is not { } handover)
            return;
        var pieces = _directPieces;
        try
        {
            DropSent(pieces, handover.Sent);
            SendSegments(pieces); // in bounded writes, counting what the kernel took
        }
        catch
        {
            // What went before the failure counts, and what the failed write may have handed to the kernel.
            SettleHandover(outbound, doubtful: handover.Sent + _sendConfirmed + _sendAttempting);
            _sendConfirmed = _sendAttempting = 0; // the send loop's batch has none of these bytes
            throw;
        }
        for (var i = 0; i < handover.Count; i++)
            _directFrames[i].Release();
        outbound.CompleteSent(handover.Messages);
        EndHandover(handover);
    }

    /// <summary>A handover that will not be finished: messages within <paramref name="doubtful"/> bytes count as sent, the rest go back.</summary>
    private void SettleHandover(Pipe outbound, long doubtful)
    {
        if (_handover is not { } handover)
            return;
        RequeueUnsent(outbound, _directFrames.AsSpan(0, handover.Count), _directEnds.AsSpan(0, handover.Count), doubtful);
        EndHandover(handover);
    }

    private void EndHandover(Handover handover)
    {
        _handover = null;
        System.Array.Clear(_directFrames, 0, handover.Count);
        _directPieces.Clear();
    }

    /// <summary>Removes the first <paramref name="sent"/> bytes from <paramref name="pieces"/>.</summary>
    private static void DropSent(List<ArraySegment<byte>> pieces, long sent)
    {
        var whole = 0;
        while (whole < pieces.Count && sent >= pieces[whole].Count)
            sent -= pieces[whole++].Count;
        pieces.RemoveRange(0, whole);
        if (sent > 0)
            pieces[0] = pieces[0].Slice((int)sent);
    }
}
