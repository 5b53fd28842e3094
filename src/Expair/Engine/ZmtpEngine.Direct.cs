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
/// faster than that, the send thread is awake and batches them. The send thread and direct writers take turns under <see cref="_sendGate"/>, so the stream's
/// bytes never interleave and messages leave in queue order; what a direct write could not finish is handed to
/// the send thread, which writes it before anything else.
/// </summary>
internal sealed partial class ZmtpEngine : IEagerReader
{
    /// <summary>
    /// A caller writes directly only if the previous direct write was at least this long ago. Requests and replies
    /// are further apart than that; a burst is not, and its messages are left to the send thread, which batches
    /// many into one system call where direct writes would make one each.
    /// </summary>
    private static readonly long DirectGapTicks = Stopwatch.Frequency * 20 / 1_000_000;

    /// <summary>Bytes a direct write may carry; anything larger waits for the send thread.</summary>
    private const int DirectBufferSize = 4096;

    private readonly Lock _sendGate = new();
    private readonly Frame[] _directFrames = new Frame[16];
    private readonly long[] _directEnds = new long[16];
    private byte[]? _directBuffer;
    private long _lastDirect; // Stopwatch timestamp of the last direct write
    private bool _sendThreadHolds; // the send thread has frames taken and not yet sent: nothing may overtake them
    private bool _trafficEnded;
    private Handover? _handover;

    /// <summary>What a direct write left unsent: the encoded bytes, how many went, and the frames they carry.</summary>
    private sealed record Handover(byte[] Bytes, int Sent, Frame[] Frames, long[] Ends, int Messages);

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
        // call per message would. Large messages are the send thread's too: it hands their bodies to the kernel
        // without copying them.
        if (outbound.Readable.Waiters == 0 || !FitsDirectWrite(message))
            return false;
        var now = Stopwatch.GetTimestamp();
        if (now - Volatile.Read(ref _lastDirect) < DirectGapTicks || !_sendGate.TryEnter())
            return false;
        try
        {
            if (_trafficEnded || _sendThreadHolds || _handover is not null || _stop.IsCancellationRequested)
                return false;
            Volatile.Write(ref _lastDirect, now);
            return WriteDirect(outbound); // a socket failure comes back as false: the woken send thread deals with it
        }
        finally
        {
            _sendGate.Exit();
        }
    }

    private static bool FitsDirectWrite(ReadOnlySpan<Frame> message)
    {
        long bytes = 0;
        foreach (var frame in message)
            bytes += FrameHeader.MaxSize + frame.Length;
        return bytes <= DirectBufferSize;
    }

    /// <summary>
    /// Takes the queued small messages and writes them without waiting; under the gate. True when all of them went
    /// (the send thread need not wake); otherwise it has been woken to finish or take over.
    /// </summary>
    private bool WriteDirect(Pipe outbound)
    {
        var frames = _directFrames;
        var count = outbound.TryReadFrames(frames, DirectBufferSize / 2);
        if (count == 0)
            return false;
        var buffer = _directBuffer ??= new byte[DirectBufferSize];
        var used = 0;
        var messages = 0;
        var fits = !frames[count - 1].More; // a message cut by the batch's end is the send thread's
        for (var i = 0; fits && i < count; i++)
        {
            var frame = frames[i];
            fits = frame.Length <= DirectBufferSize - used - FrameHeader.MaxSize;
            if (!fits)
                break;
            used += FrameHeader.Write(buffer.AsSpan(used), frame.Length, frame.More);
            frame.Span.CopyTo(buffer.AsSpan(used));
            used += frame.Length;
            _directEnds[i] = used;
            messages += frame.More ? 0 : 1;
        }
        if (!fits)
        {
            outbound.Unread(frames.AsSpan(0, count)); // back in front, in order; Unread wakes the send thread
            System.Array.Clear(frames);
            return false;
        }
        int sent;
        try
        {
            sent = _io!.SendNow(buffer.AsSpan(0, used));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            sent = 0; // nothing of this call went: the send thread retries and meets the failure itself
        }
        var whole = sent == used;
        if (whole)
        {
            for (var i = 0; i < count; i++)
                frames[i].Release();
            outbound.CompleteSent(messages);
        }
        else
        {
            _handover = new Handover(buffer.AsSpan(0, used).ToArray(), sent, frames[..count], _directEnds[..count], messages);
        }
        System.Array.Clear(frames);
        return whole;
    }

    /// <summary>The send thread, under the gate: writes what a direct write left, before anything else.</summary>
    private void FinishHandover(Pipe outbound)
    {
        var handover = _handover;
        if (handover is null)
            return;
        try
        {
            _io!.Send(handover.Bytes.AsSpan(handover.Sent));
        }
        catch
        {
            // The failed write may have handed any part of itself to the kernel: all of it is in doubt.
            SettleHandover(outbound, doubtful: handover.Bytes.Length);
            throw;
        }
        foreach (var frame in handover.Frames)
            frame.Release();
        outbound.CompleteSent(handover.Messages);
        _handover = null;
    }

    /// <summary>A handover that will not be finished: messages within <paramref name="doubtful"/> bytes count as sent, the rest go back.</summary>
    private void SettleHandover(Pipe outbound, long doubtful)
    {
        var handover = _handover;
        if (handover is null)
            return;
        _handover = null;
        RequeueUnsent(outbound, handover.Frames, handover.Ends, doubtful);
    }
}
