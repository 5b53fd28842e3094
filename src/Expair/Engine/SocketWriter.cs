using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Expair.Core;
using Expair.Internal;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// Decides who writes to the socket now, and owns what they write. The send thread batches queued frames; a caller
/// that queues a message on an idle line (the queue was empty and the send thread asleep) writes it itself without
/// waiting, which saves a wake-up per request and per reply; the receive thread writes a reply handed over to it
/// (<see cref="ReplyWait"/>). They take turns under one gate, so the stream's bytes never interleave and messages
/// leave in queue order. What a direct write could not finish is handed over to the send thread, which writes it
/// before anything else; after a failure, <see cref="SegmentSender"/> settles what counts as sent.
/// </summary>
internal sealed class SocketWriter : IEagerReader
{
    /// <summary>
    /// A caller writes directly only if the previous direct write was at least this long ago: requests and replies
    /// are further apart, a burst is not, and the send thread batches a burst into fewer system calls.
    /// </summary>
    private static readonly long DirectGapTicks = Stopwatch.Frequency * 20 / 1_000_000;

    /// <summary>Bytes a direct write copies (headers and small bodies); larger bodies go from their own arrays.</summary>
    private const int DirectBufferSize = 4096;

    private readonly Pipe _outbound;
    private readonly BlockingStream _io;
    private readonly Heartbeater _heartbeater;
    private readonly ReplyWait _replyWait;
    private readonly IMechanism _mechanism;
    private readonly CancellationToken _stop;
    private readonly SegmentSender _sender;
    private readonly Lock _gate = new();
    private readonly Frame[] _directFrames = new Frame[16];
    private readonly long[] _directEnds = new long[16];
    private FrameEncoder? _direct; // made when direct writes are possible
    private long _lastDirect; // Stopwatch timestamp of the last direct write
    private bool _sendThreadHolds; // the send thread has frames taken and not yet sent
    private bool _trafficEnded;
    private Handover? _handover;

    /// <summary>
    /// What a direct write left unsent, for the send thread to finish before anything else: the first
    /// <see cref="Count"/> direct frames, of which <see cref="Sent"/> bytes went. No direct write starts while one
    /// is pending, so these stay put.
    /// </summary>
    private readonly record struct Handover(int Count, int Messages, long Sent);

    public SocketWriter(Pipe outbound, BlockingStream io, Heartbeater heartbeater, ReplyWait replyWait, IMechanism mechanism, CancellationToken stop)
    {
        _outbound = outbound;
        _io = io;
        _heartbeater = heartbeater;
        _replyWait = replyWait;
        _mechanism = mechanism;
        _stop = stop;
        _sender = new SegmentSender(io);
    }

    /// <summary>True while callers (and the receive thread) may write directly.</summary>
    public bool DirectWritesEnabled => _outbound.EagerReader == this;

    /// <summary>Lets callers write directly, where writes that never wait exist.</summary>
    public void EnableDirectWrites()
    {
        if (!_io.CanSendWithoutWaiting)
            return;
        _direct = new FrameEncoder(new byte[DirectBufferSize], _mechanism);
        _outbound.EagerReader = this;
    }

    /// <summary>After both loops ended: no more direct writes, and a handed-over remainder goes back to the queue.</summary>
    public void End()
    {
        lock (_gate)
        {
            _trafficEnded = true;
            if (_outbound.EagerReader == this)
                _outbound.EagerReader = null;
            SettleHandover(doubtful: _handover?.Sent ?? 0);
        }
    }

    /// <summary>The send thread: encodes queued frames into batches and writes each batch with as few calls as it can.</summary>
    [MethodImpl(HotPath.Optimized)]
    public void SendLoop()
    {
        var batch = new SendBatch(_mechanism);
        try
        {
            while (true)
            {
                _stop.ThrowIfCancellationRequested();
                var seen = _outbound.Readable.Version;
                bool sent;
                // One turn under the gate: direct writers wait for it, and a failure is settled (requeued) before
                // any of them could write a later message ahead of it.
                lock (_gate)
                {
                    try
                    {
                        FinishHandover();
                        sent = SendTurn(batch);
                        _sendThreadHolds = batch.Holds;
                    }
                    catch
                    {
                        Abandon(batch);
                        throw;
                    }
                }
                if (!sent && _outbound.PrepareToWaitReadable())
                    _outbound.Readable.Wait(seen, Deadline.Never, _stop);
            }
        }
        catch
        {
            // Stopped between turns, possibly holding the first frames of a multipart message: they go back whole.
            lock (_gate)
                Abandon(batch);
            throw;
        }
        finally
        {
            batch.Return();
        }
    }

    /// <summary>Encodes and writes one batch; false when there was nothing to send.</summary>
    [MethodImpl(HotPath.Optimized)]
    private bool SendTurn(SendBatch batch)
    {
        if (!batch.Encode(_outbound, _heartbeater, out var messages))
            return false;
        _sender.Send(batch.Encoder.Segments);
        batch.Sent(_outbound, messages);
        return true;
    }

    /// <summary>Under the gate, as the send loop ends: callers write no more, and what it took goes back to the queue.</summary>
    private void Abandon(SendBatch batch)
    {
        _trafficEnded = true;
        batch.Abandon(_outbound, _sender.InDoubt);
    }

    [MethodImpl(HotPath.Optimized)]
    bool IEagerReader.TryTakeNow(ReadOnlySpan<Frame> message)
    {
        // Only on an idle line (the pipe calls this only when the send thread found it empty and marked itself
        // waiting): a send thread awake batches a stream better than one system call per message would.
        if (_outbound.Readable.Waiters == 0 || message.Length > _directFrames.Length || !_direct!.Fits(message, DirectBufferSize))
            return false;
        if (_replyWait.TryHandOver(message.Length))
            return true; // the receive thread, waiting for a reply, writes it
        var now = Stopwatch.GetTimestamp();
        if (now - Volatile.Read(ref _lastDirect) < DirectGapTicks)
            return false;
        return TryWriteDirect(message.Length, now); // a socket failure comes back as false: the woken send thread deals with it
    }

    /// <summary>The receive thread writes the reply a caller handed over to it; what does not go is left to the send thread.</summary>
    public void WriteHandedOverReply(int frameCount)
    {
        if (!TryWriteDirect(frameCount, Stopwatch.GetTimestamp()))
            _outbound.Readable.Set(); // the caller did not wake the send thread
    }

    /// <summary>
    /// Writes the first queued message (<paramref name="frameCount"/> frames) directly if the gate is free and
    /// nothing the send thread holds or has to finish could be overtaken. True when all of it went.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    private bool TryWriteDirect(int frameCount, long now)
    {
        if (!_gate.TryEnter())
            return false;
        try
        {
            if (_trafficEnded || _sendThreadHolds || _handover is not null || _stop.IsCancellationRequested)
                return false;
            Volatile.Write(ref _lastDirect, now);
            return WriteDirect(frameCount);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>
    /// Takes the message just queued and writes it without waiting; under the gate. True when all of it went;
    /// otherwise what did not go is handed over to the send thread, or put back.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    private bool WriteDirect(int frameCount)
    {
        var frames = _directFrames;
        var encoder = _direct!;
        // The pipe was empty before this message, so its frames come first (unless another sender's came in
        // between: a message cut by the take is then put back for the send thread).
        var count = _outbound.TryReadFrames(frames.AsSpan(0, frameCount));
        if (count == 0)
            return false;
        var total = EncodeDirect(encoder, frames.AsSpan(0, count), out var messages);
        if (total < 0)
        {
            _outbound.Unread(frames.AsSpan(0, count)); // back in front, in order; Unread wakes the send thread
            Array.Clear(frames);
            encoder.Reset();
            return false;
        }
        long sent;
        try
        {
            sent = _io.SendNow(encoder.Segments);
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
        _outbound.CompleteSent(messages);
        Array.Clear(frames, 0, count);
        encoder.Reset();
        return true;
    }

    /// <summary>Encodes whole messages for a direct write; the bytes in all, or -1 when they do not fit (or the last frame is not a message's last).</summary>
    [MethodImpl(HotPath.Optimized)]
    private long EncodeDirect(FrameEncoder encoder, ReadOnlySpan<Frame> frames, out int messages)
    {
        messages = 0;
        if (frames[^1].More)
            return -1;
        for (var i = 0; i < frames.Length; i++)
        {
            ref readonly var frame = ref frames[i];
            if (!encoder.HasRoomFor(frame))
                return -1;
            _directEnds[i] = encoder.Add(frame);
            messages += frame.More ? 0 : 1;
        }
        encoder.Close();
        return encoder.Length;
    }

    /// <summary>The send thread, under the gate: writes what a direct write left, before anything else.</summary>
    [MethodImpl(HotPath.Optimized)]
    private void FinishHandover()
    {
        if (_handover is not { } handover)
            return;
        var pieces = _direct!.Segments;
        try
        {
            DropSent(pieces, handover.Sent);
            _sender.Send(pieces); // in bounded writes, counting what the kernel took
        }
        catch
        {
            // What went before the failure counts, and what the failed write may have handed to the kernel.
            SettleHandover(doubtful: handover.Sent + _sender.InDoubt);
            _sender.Forget(); // the send loop's batch has none of these bytes
            throw;
        }
        for (var i = 0; i < handover.Count; i++)
            _directFrames[i].Release();
        _outbound.CompleteSent(handover.Messages);
        EndHandover(handover);
    }

    /// <summary>A handover that will not be finished: messages within <paramref name="doubtful"/> bytes count as sent, the rest go back.</summary>
    private void SettleHandover(long doubtful)
    {
        if (_handover is not { } handover)
            return;
        SegmentSender.RequeueUnsent(_outbound, _directFrames.AsSpan(0, handover.Count), _directEnds.AsSpan(0, handover.Count), doubtful);
        EndHandover(handover);
    }

    private void EndHandover(Handover handover)
    {
        _handover = null;
        Array.Clear(_directFrames, 0, handover.Count);
        _direct!.Reset();
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
