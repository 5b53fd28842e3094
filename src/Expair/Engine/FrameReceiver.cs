using System.Runtime.CompilerServices;
using Expair.Core;
using Expair.Internal;
using Expair.Protocol;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// The read side's work: reads the socket into the receive buffer, decodes frames, reads a large body straight into
/// its frame, handles the peer's commands and hands whole messages to the inbound pipe. Used by whoever holds the
/// read side (the receive thread, or a caller it was lent to: <see cref="ReadLease"/>), one at a time; the lease's
/// hand-overs make each holder's writes visible to the next.
/// </summary>
internal sealed class FrameReceiver
{
    /// <summary>
    /// How much the first read after a large body asks for. The next message may be large too, and what a read
    /// brings beyond its header is copied again into the body's own buffer.
    /// </summary>
    private const int ReadAfterLargeBody = 8 * 1024;

    /// <summary>
    /// Whole-message frames decoded before they go to the pipe. One read can hold thousands of tiny frames; the rest
    /// wait as bytes in the receive buffer, so buffers in flight stay near the high-water mark.
    /// </summary>
    private const int MaxDecodeAhead = 256;

    private readonly ReceiveBuffer _buffer;
    private readonly FrameDecoder _decoder;
    private readonly Heartbeater _heartbeater;
    private readonly BlockingStream _io;
    private readonly Pipe _inbound;
    private readonly CancellationToken _stop;

    /// <summary>Frames decoded and not yet in the inbound pipe; the first <see cref="_completeFrames"/> form whole messages.</summary>
    private readonly DecodedFrames _incoming = new();
    private int _completeFrames;
    private int _delivered; // frames at the front of _incoming already handed to the pipe
    private bool _largeBodyInMessage; // the message being decoded has a body read straight into its buffer
    private bool _largeBodyRead; // a message with one was delivered since the last read
    private int _largestReadAfterLargeBody;

    public FrameReceiver(ReceiveBuffer buffer, FrameDecoder decoder, Heartbeater heartbeater, BlockingStream io, Pipe inbound, CancellationToken stop)
    {
        _buffer = buffer;
        _decoder = decoder;
        _heartbeater = heartbeater;
        _io = io;
        _inbound = inbound;
        _stop = stop;
    }

    /// <summary>A message with a large body was decoded since the flag was last cleared (for the reply-wait policy).</summary>
    public bool LargeBodyDelivered { get; set; }

    /// <summary>The most bytes one read after a large body brought in.</summary>
    public int LargestReadAfterLargeBody => Volatile.Read(ref _largestReadAfterLargeBody);

    /// <summary>True when whole messages wait to go to the pipe.</summary>
    public bool HasCompleteMessages => _completeFrames > 0;

    /// <summary>Bytes of a large body still to read.</summary>
    public bool BodyPending => _decoder.BodyRemaining > 0;

    /// <summary>Nothing buffered and no message begun.</summary>
    public bool IsIdle
    {
        [MethodImpl(HotPath.Optimized)]
        get => _buffer.IsEmpty && _incoming.Count == 0 && _decoder.BodyRemaining == 0;
    }

    /// <summary>
    /// Decodes buffered frames, reading a large body straight into its frame (a body begun by an earlier reader is
    /// finished first). True when more bytes are needed; false when <see cref="MaxDecodeAhead"/> frames wait, or a
    /// caller (<paramref name="callerDeadline"/> set) has whole messages to deliver before a body. A caller's read
    /// of a body stops at its deadline, leaving the rest for the next reader.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public bool DecodeBuffered(Deadline? callerDeadline)
    {
        try
        {
            return DecodeFrames(callerDeadline);
        }
        catch (ProtocolViolationException) when (_completeFrames > _delivered)
        {
            // The whole messages decoded before the violation are genuine: they reach the application (what the pipe
            // takes now; no wait on a connection that is ending), the message cut by it never does.
            DeliverNow();
            throw;
        }
    }

    [MethodImpl(HotPath.Optimized)]
    private bool DecodeFrames(Deadline? callerDeadline)
    {
        while (_completeFrames < MaxDecodeAhead)
        {
            if (_decoder.BodyRemaining > 0)
            {
                if (!ReceiveBody(callerDeadline))
                    return true;
                continue;
            }
            // A whole frame is decoded straight into the next element: no copy of it on the way.
            ref var frame = ref _incoming.Next();
            var status = _decoder.Decode(_buffer.Buffered, out var consumed, out frame, out var command);
            if (status == DecodeStatus.NeedMoreData)
                return true;
            if (status == DecodeStatus.Command)
            {
                HandleCommand(command);
                _buffer.Consume(consumed);
                continue;
            }
            _buffer.Consume(consumed);
            _heartbeater.OnPeerMessageFrame();
            if (status == DecodeStatus.Frame)
            {
                _incoming.Commit();
                FrameDecoded(frame);
                continue;
            }
            _largeBodyInMessage = true;
            // Whole messages decoded before this body go to the reader first: the body may be a long time coming,
            // and they do not depend on it.
            if (_completeFrames > 0)
            {
                if (callerDeadline is not null)
                    return false;
                Deliver();
            }
        }
        return false;
    }

    /// <summary>A frame is whole: when it ends its message, the message is complete.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FrameDecoded(in Frame frame)
    {
        if (frame.More)
            return;
        _completeFrames = _incoming.Count;
        LargeBodyDelivered |= _largeBodyInMessage; // (delivered next)
        _largeBodyRead |= _largeBodyInMessage;
        _largeBodyInMessage = false;
    }

    /// <summary>
    /// Reads the rest of the pending body straight into its frame. On a caller's thread (<paramref name="callerDeadline"/>
    /// set) it reads only what arrives before the deadline: false when that passed first.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    private bool ReceiveBody(Deadline? callerDeadline)
    {
        while (true)
        {
            var read = ReceiveSome(_decoder.PendingBody, callerDeadline);
            if (read < 0)
            {
                if (callerDeadline!.Value.Remaining == TimeSpan.Zero)
                    return false;
                _stop.ThrowIfCancellationRequested();
                continue;
            }
            if (read == 0)
                throw new ProtocolViolationException("peer closed the connection in the middle of a frame");
            _heartbeater.MarkReceived();
            if (_decoder.BodyReceived(read, out var frame))
            {
                _incoming.Add(frame);
                FrameDecoded(frame);
                return true;
            }
        }
    }

    private void HandleCommand(ReadOnlySpan<byte> body)
    {
        if (!Commands.TryParse(body, out var name, out var data))
            throw new ProtocolViolationException("malformed command");
        if (Commands.IsNamed(name, Commands.Ping))
            _heartbeater.OnPing(data); // 37/ZMTP: every PING is answered with a PONG; the send loop writes it
        else if (Commands.IsNamed(name, Commands.Error))
            throw ProtocolViolationException.FromPeerError(Commands.ParseErrorReason(data));
        else if (Commands.IsNamed(name, Commands.Ready))
            throw new ProtocolViolationException("peer sent READY twice");
        // PONG and commands we do not know are ignored, as 37/ZMTP allows.
    }

    /// <summary>Hands the completed messages to the inbound pipe, waiting while it is at its high-water mark.</summary>
    [MethodImpl(HotPath.Optimized)]
    public void Deliver()
    {
        while (true)
        {
            var seen = _inbound.Writable.Version;
            if (DeliverNow())
                return;
            // Full: stop reading the socket, so TCP flow control holds the peer back.
            _stop.ThrowIfCancellationRequested();
            _inbound.Writable.Wait(seen, Deadline.Never, _stop);
        }
    }

    /// <summary>Hands the pipe what it takes now of the completed messages; true when all went.</summary>
    [MethodImpl(HotPath.Optimized)]
    public bool DeliverNow()
    {
        var taken = _inbound.TryWriteMessages(_incoming.Frames[_delivered.._completeFrames], out var result);
        // What the pipe took is the pipe's now: past _delivered, so a failure never releases it twice. The list is
        // compacted once everything complete went, not per write: a high-water mark takes a read's frames in parts.
        _delivered += taken;
        if (result == WriteResult.Closed)
            throw new OperationCanceledException("the inbound queue was closed");
        if (result != WriteResult.Written)
            return false;
        _incoming.RemoveFront(_completeFrames);
        _completeFrames = 0;
        _delivered = 0;
        return true;
    }

    /// <summary>After both loops ended: a message cut mid-way never reaches the application.</summary>
    public void ReleaseUndelivered()
    {
        foreach (var frame in _incoming.Frames[_delivered..])
            frame.Release();
        _incoming.Clear();
        _decoder.ReleasePending();
    }

    /// <summary>Reads more bytes into the receive buffer, blocking (on the receive thread). False at end of stream.</summary>
    public bool Fill() => FillSome(callerDeadline: null) > 0;

    /// <summary>
    /// Reads more bytes into the receive buffer, blocking: the bytes read, 0 at the end of the stream, or (only on a
    /// caller's thread, <paramref name="callerDeadline"/> set) -1 when none came within a read slice or the deadline.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public int FillSome(Deadline? callerDeadline)
    {
        var space = _buffer.FreeSpace().Span;
        if (_largeBodyRead && space.Length > ReadAfterLargeBody)
            space = space[..ReadAfterLargeBody];
        var read = ReceiveSome(space, callerDeadline);
        if (read < 0)
            return read;
        if (_largeBodyRead)
        {
            _largeBodyRead = false;
            if (read > _largestReadAfterLargeBody)
                Volatile.Write(ref _largestReadAfterLargeBody, read);
        }
        if (read > 0)
        {
            _buffer.Filled(read);
            _heartbeater.MarkReceived();
        }
        return read;
    }

    /// <summary>
    /// One blocking read. The end of the stream after the connection was stopped is our own doing, so it surfaces as
    /// cancellation, not as the peer breaking off mid-frame. The receive thread reads until bytes come; a caller
    /// (<paramref name="callerDeadline"/> set) gets -1 when a read slice (<see cref="ReadLease.ReadSlice"/>, the
    /// socket's receive timeout) or its deadline passes first, so it can look at its deadline and the pipe.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    private int ReceiveSome(Span<byte> into, Deadline? callerDeadline)
    {
        while (true)
        {
            if (callerDeadline is { } deadline)
            {
                // Shorter than a slice: wait with poll for exactly what is left, then read what came.
                var remaining = deadline.Remaining;
                if (remaining != Timeout.InfiniteTimeSpan && remaining < ReadLease.ReadSlice && !_io.WaitReadable(remaining))
                    return -1;
            }
            var read = _io.Receive(into);
            if (read == 0)
                _stop.ThrowIfCancellationRequested();
            if (read >= 0 || callerDeadline is not null)
                return read;
            _stop.ThrowIfCancellationRequested(); // a slice passed on the receive thread: read again
        }
    }
}
