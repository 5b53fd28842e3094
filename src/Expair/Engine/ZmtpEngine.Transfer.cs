using System.Buffers;
using System.Runtime.InteropServices;
using Expair.Core;
using Expair.Internal;
using Expair.Protocol;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>The traffic phase: frames in to the inbound pipe, the outbound pipe out to the socket.</summary>
internal sealed partial class ZmtpEngine
{
    private const int SendBufferSize = 64 * 1024;

    /// <summary>Bodies at least this large go to the socket straight from their own buffer, not copied.</summary>
    private const int ZeroCopyThreshold = 8 * 1024;

    /// <summary>
    /// Frames the send loop takes from the pipe per call; also bounds what it holds beyond the HWM. 64 (measured when
    /// the pipe still had one lock for both sides) made a 64 KiB batch of 1 B messages cost hundreds of lock turns
    /// shared with the sending caller: 256 took tcp 1 B throughput from a median of 4.7 to 8.0 M msg/s (5
    /// interleaved runs; ipc 4.3 to 6.4 M); 1024 gained nothing more.
    /// </summary>
    private const int PullChunk = 256;

    /// <summary>
    /// Large bodies per gathered write, in bytes: one syscall per MiB already costs little, and releasing a few
    /// buffers at a time lets <see cref="FramePool"/> recycle them instead of the sender allocating new ones.
    /// </summary>
    private const int MaxZeroCopyBatch = 1024 * 1024;

    /// <summary>
    /// Whole-message frames decoded before they go to the pipe. One 64 KiB read can hold 20,000 tiny frames; the
    /// rest wait as bytes in the receive buffer, so buffers in flight stay near the high-water mark.
    /// </summary>
    private const int MaxDecodeAhead = 256;

    /// <summary>Frames decoded and not yet in the inbound pipe; the first <see cref="_completeFrames"/> form whole messages.</summary>
    private readonly List<Frame> _incoming = [];
    private int _completeFrames;
    private int _delivered; // frames at the front of _incoming already handed to the pipe
    private int _bodyRemaining; // bytes of the last frame's body still to read straight into it
    private long _incomingBytes; // of the message being decoded, for MaxMessageSize
    private byte[]? _pongContext;
    private int _pongLength = -1;

    private async Task TransferAsync()
    {
        var token = _stop.Token;
        UseFullReceiveBuffer();
        StartHeartbeats();
        _socket = BlockingStream.LeaveEventLoop(_socket);
        Interlocked.Exchange(ref _io, new BlockingStream(_socket));
        if (token.IsCancellationRequested)
            WakeLoops(); // Stop ran before _io was set and could not shut the socket down
        EnableDirectWrites();
        EnableCallerReads();
        var receive = IoThread.Run(() => ReceiveLoop(token), "Expair receive");
        var send = IoThread.Run(() => SendLoop(token), "Expair send");
        var first = await Task.WhenAny(receive, send).ConfigureAwait(false);
        Stop(_endReason ?? "closed");
        try
        {
            await Task.WhenAll(receive, send).ConfigureAwait(false);
        }
        catch when (first.IsCompletedSuccessfully)
        {
            // The other loop was stopped (its socket shut down under it) because this one ended: the first
            // loop's outcome is the reason.
        }
        finally
        {
            EndDirectWrites();
            EndCallerReads();
            StopHeartbeats();
            foreach (var frame in CollectionsMarshal.AsSpan(_incoming)[_delivered..])
                frame.Release(); // a message cut mid-way never reaches the application
            _incoming.Clear();
        }
        await first.ConfigureAwait(false); // rethrows the first loop's failure, if any
    }

    /// <summary>The receive thread: reads, decodes many frames per read, and hands whole messages to the inbound pipe.</summary>
    private void ReceiveLoop(CancellationToken cancellationToken)
    {
        var inbound = _pipes!.Inbound;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A caller reading on its own thread met the connection's end: it ends here, as if met here.
            _callerFailure?.Throw();
            if (_callerSawEnd)
            {
                _endReason ??= "peer closed the connection";
                return;
            }
            var needBytes = DecodeBuffered(inbound, callerDeadline: null, cancellationToken);
            // What was decoded goes to the pipe at once: one publish and at most one wake-up per batch of messages.
            if (_completeFrames > 0)
                Deliver(inbound, cancellationToken);
            // Nothing buffered and no message begun: a reply to what was just delivered may be on its way, and a
            // waiting caller may read the next message itself.
            if (needBytes && _receiveStart == _receiveEnd && _incoming.Count == 0)
            {
                AwaitReply(_pipes.Outbound);
                if (LendReadsToCaller(cancellationToken))
                    continue; // callers read meanwhile: decode what they left
            }
            if (needBytes && !Fill())
            {
                _endReason ??= "peer closed the connection";
                return;
            }
        }
    }

    /// <summary>
    /// Decodes buffered frames into <see cref="_incoming"/>, reading a large body straight into its frame (a body
    /// begun by an earlier reader is finished first). True when more bytes are needed; false when
    /// <see cref="MaxDecodeAhead"/> frames wait, or a caller (<paramref name="callerDeadline"/> set) has whole
    /// messages to deliver before a body. A caller's read of a body stops at its deadline, leaving the rest for
    /// the next reader.
    /// </summary>
    private bool DecodeBuffered(Pipe inbound, Deadline? callerDeadline, CancellationToken cancellationToken)
    {
        while (_completeFrames < MaxDecodeAhead)
        {
            if (_bodyRemaining > 0)
            {
                if (!ReceiveBody(callerDeadline))
                    return true;
                FrameDecoded(_incoming[^1]);
                continue;
            }
            if (!TryDecodeFrame(out var frame, out var needBody))
                return true;
            if (needBody > 0)
            {
                _bodyRemaining = needBody;
                _largeBodyInMessage = true;
                // Whole messages decoded before this body go to the reader first: the body may be a long time
                // coming, and they do not depend on it.
                if (_completeFrames > 0)
                {
                    if (callerDeadline is not null)
                        return false;
                    Deliver(inbound, cancellationToken);
                }
                continue;
            }
            FrameDecoded(frame);
        }
        return false;
    }

    /// <summary>A frame is whole: when it ends its message, the message is complete.</summary>
    private void FrameDecoded(in Frame frame)
    {
        if (frame.More)
            return;
        _completeFrames = _incoming.Count;
        _incomingBytes = 0;
        _largeBodyDelivered |= _largeBodyInMessage; // (delivered next)
        _largeBodyRead |= _largeBodyInMessage;
        _largeBodyInMessage = false;
    }

    /// <summary>
    /// Decodes the next frame from the buffer. Data frames are appended to <see cref="_incoming"/>; when only
    /// part of a large body is buffered, <paramref name="needBody"/> says how many bytes must still be read
    /// straight into the frame. Commands are handled here. False when more bytes are needed.
    /// </summary>
    private bool TryDecodeFrame(out Frame frame, out int needBody)
    {
        while (true)
        {
            frame = default;
            needBody = 0;
            var limit = _options.MaxMessageSize < 0 ? Array.MaxLength : Math.Min(Array.MaxLength, _options.MaxMessageSize - _incomingBytes);
            var status = FrameHeader.TryParse(Buffered, limit, out var header);
            if (status == OperationStatus.NeedMoreData)
                return false;
            if (status == OperationStatus.InvalidData)
                throw new ProtocolViolationException("malformed frame header");
            if (status == OperationStatus.DestinationTooSmall)
                throw new ProtocolViolationException(_options.MaxMessageSize >= 0
                    ? $"message larger than MaxMessageSize ({_options.MaxMessageSize} bytes)"
                    : "frame larger than the largest .NET array");

            if (header.IsCommand)
            {
                if (header.BodyLength > ReceiveBufferSize - FrameHeader.MaxSize)
                    throw new ProtocolViolationException("command frame too large");
                if (Buffered.Length < header.HeaderLength + header.BodyLength)
                    return false;
                HandleCommand(Buffered.Slice(header.HeaderLength, (int)header.BodyLength));
                _receiveStart += header.HeaderLength + (int)header.BodyLength;
                continue;
            }

            var length = (int)header.BodyLength;
            var available = Math.Min(length, Buffered.Length - header.HeaderLength);
            if (available < length && length <= ReceiveBufferSize - FrameHeader.MaxSize)
                return false; // small body: wait for it in the receive buffer
            if (available < length)
            {
                // Large body: the bytes arrive straight into the frame's buffer, never allocated before the
                // header passed the size check.
                frame = Frame.Rent(length, header.More);
                Buffered.Slice(header.HeaderLength, available).CopyTo(frame.Array);
                needBody = length - available;
            }
            else
            {
                frame = Frame.Copy(Buffered.Slice(header.HeaderLength, available), header.More);
            }
            _receiveStart += header.HeaderLength + available;
            OnPeerMessageFrame();
            _incoming.Add(frame);
            _incomingBytes += length;
            return true;
        }
    }

    /// <summary>
    /// Reads the rest of the last frame's body straight into it. On a caller's thread (<paramref name="callerDeadline"/>
    /// set) it reads only what arrives before the deadline: false when that passed first.
    /// </summary>
    private bool ReceiveBody(Deadline? callerDeadline)
    {
        var frame = _incoming[^1];
        while (_bodyRemaining > 0)
        {
            var read = ReceiveSome(frame.Array.AsSpan(frame.Length - _bodyRemaining, _bodyRemaining), callerDeadline);
            if (read < 0)
            {
                if (callerDeadline!.Value.Remaining == TimeSpan.Zero)
                    return false;
                _stop.Token.ThrowIfCancellationRequested();
                continue;
            }
            if (read == 0)
                throw new ProtocolViolationException("peer closed the connection in the middle of a frame");
            MarkReceived();
            _bodyRemaining -= read;
        }
        return true;
    }

    /// <summary>Hands the completed messages to the inbound pipe, waiting while it is at its high-water mark.</summary>
    private void Deliver(Pipe inbound, CancellationToken cancellationToken)
    {
        while (true)
        {
            var seen = inbound.Writable.Version;
            if (DeliverNow(inbound))
                return;
            // Full: stop reading the socket, so TCP flow control holds the peer back.
            cancellationToken.ThrowIfCancellationRequested();
            inbound.Writable.Wait(seen, Deadline.Never, cancellationToken);
        }
    }

    /// <summary>Hands the pipe what it takes now of the completed messages; true when all went.</summary>
    private bool DeliverNow(Pipe inbound)
    {
        var taken = inbound.TryWriteMessages(CollectionsMarshal.AsSpan(_incoming)[_delivered.._completeFrames], out var result);
        // What the pipe took is the pipe's now: past _delivered, so a failure never releases it twice.
        // The list is compacted once everything complete went, not per write: one read can decode
        // tens of thousands of tiny frames, and a high-water mark of 1000 takes them 1000 at a time.
        _delivered += taken;
        if (result == WriteResult.Closed)
            throw new OperationCanceledException("the inbound queue was closed");
        if (result != WriteResult.Written)
            return false;
        _incoming.RemoveRange(0, _completeFrames);
        _completeFrames = 0;
        _delivered = 0;
        return true;
    }

    private void HandleCommand(ReadOnlySpan<byte> body)
    {
        if (!Commands.TryParse(body, out var name, out var data))
            throw new ProtocolViolationException("malformed command");
        if (Commands.IsNamed(name, Commands.Ping))
        {
            // 37/ZMTP: answer every PING with a PONG echoing its context; the send loop writes it.
            OnPeerTtl(Commands.PingTtl(data));
            var context = Commands.PingContext(data);
            lock (_incoming)
            {
                _pongContext ??= new byte[Commands.MaxPingContext];
                context.CopyTo(_pongContext);
                _pongLength = context.Length;
            }
            _pipes!.Outbound.Readable.Set(); // wake the send loop
        }
        else if (Commands.IsNamed(name, Commands.Error))
        {
            throw ProtocolViolationException.FromPeerError(Commands.ParseErrorReason(data));
        }
        else if (Commands.IsNamed(name, Commands.Ready))
        {
            throw new ProtocolViolationException("peer sent READY twice");
        }
        // PONG and commands we do not know are ignored, as 37/ZMTP allows.
    }

    /// <summary>The send thread: encodes queued frames into batches and writes each batch with as few calls as it can.</summary>
    private void SendLoop(CancellationToken cancellationToken)
    {
        var outbound = _pipes!.Outbound;
        var batch = new SendBatch(ArrayPool<byte>.Shared.Rent(SendBufferSize));
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var seen = outbound.Readable.Version;
                bool sent;
                // One turn under the gate: direct writers on callers' threads wait for it, and a failure is
                // settled (requeued) before any of them could write a later message ahead of it.
                lock (_sendGate)
                {
                    try
                    {
                        FinishHandover(outbound);
                        sent = SendTurn(outbound, batch);
                        _sendThreadHolds = batch.Pulled > 0;
                    }
                    catch
                    {
                        AbandonBatch(outbound, batch);
                        throw;
                    }
                }
                if (!sent && outbound.PrepareToWaitReadable())
                    outbound.Readable.Wait(seen, Deadline.Never, cancellationToken);
            }
        }
        catch
        {
            // Stopped between turns, possibly holding the first frames of a multipart message: they go back whole.
            lock (_sendGate)
                AbandonBatch(outbound, batch);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch.Buffer); // writes block, so none is still reading it
        }
    }

    /// <summary>Under the gate, as the send loop ends: callers write no more, and what it took goes back to the queue.</summary>
    private void AbandonBatch(Pipe outbound, SendBatch batch)
    {
        _trafficEnded = true;
        RequeueUnsent(outbound, batch.Frames.AsSpan(0, batch.Pulled), batch.Ends.AsSpan(0, batch.Encoded));
        batch.Pulled = batch.Encoded = 0;
    }

    /// <summary>
    /// The send thread's frames between turns. Taken from the pipe in chunks (one call per chunk): [0, held) went
    /// out in earlier batches but their message's last frame did not yet; [held, Encoded) are in this batch;
    /// [Encoded, Pulled) wait. Ends[i] is where frame i ends in this batch's bytes (see RequeueUnsent).
    /// </summary>
    private sealed class SendBatch(byte[] buffer)
    {
        public byte[] Buffer { get; } = buffer;
        public List<ArraySegment<byte>> Segments { get; } = [];
        public Frame[] Frames = new Frame[PullChunk];
        public long[] Ends = new long[PullChunk];
        public int Pulled;
        public int Encoded;
    }

    /// <summary>Encodes and writes one batch; false when there was nothing to send.</summary>
    private bool SendTurn(Pipe outbound, SendBatch batch)
    {
        var buffer = batch.Buffer;
        var segments = batch.Segments;
        var used = WritePendingPong(buffer);
        used += WritePendingPing(buffer.AsSpan(used));
        var segmentStart = 0;
        long closed = 0; // bytes in the segments already added
        var messages = 0;
        var held = batch.Encoded;
        long zeroCopyBytes = 0;
        // Room for one more header and inline body: an inline frame is always copied, having no array to send from.
        while (used <= SendBufferSize - FrameHeader.MaxSize - Frame.InlineCapacity && segments.Count < 64 && zeroCopyBytes < MaxZeroCopyBatch)
        {
            if (batch.Encoded == batch.Pulled)
            {
                if (batch.Pulled == batch.Frames.Length)
                {
                    if (batch.Encoded > held)
                        break;
                    // Held frames of one long multipart message fill the array: make room for the rest.
                    Array.Resize(ref batch.Frames, batch.Frames.Length * 2);
                    Array.Resize(ref batch.Ends, batch.Ends.Length * 2);
                }
                var got = outbound.TryReadFrames(batch.Frames.AsSpan(batch.Pulled), MaxZeroCopyBatch);
                if (got == 0)
                    break;
                batch.Pulled += got;
            }
            var frame = batch.Frames[batch.Encoded];
            if (!frame.More)
                messages++;
            used += FrameHeader.Write(buffer.AsSpan(used), frame.Length, frame.More);
            if (frame.Length >= ZeroCopyThreshold || frame.Length > SendBufferSize - used)
            {
                // Large body: handed to the socket from its own buffer, not copied.
                segments.Add(new ArraySegment<byte>(buffer, segmentStart, used - segmentStart));
                segments.Add(new ArraySegment<byte>(frame.Array, 0, frame.Length));
                closed += used - segmentStart + frame.Length;
                segmentStart = used;
                zeroCopyBytes += frame.Length;
                batch.Ends[batch.Encoded++] = closed;
            }
            else
            {
                frame.Span.CopyTo(buffer.AsSpan(used));
                used += frame.Length;
                batch.Ends[batch.Encoded++] = closed + used - segmentStart;
            }
        }
        if (used > segmentStart)
            segments.Add(new ArraySegment<byte>(buffer, segmentStart, used - segmentStart));
        if (segments.Count == 0)
            return false;
        SendSegments(segments);
        segments.Clear();
        // Release every message whose last frame went out; the frames of one still being sent stay held
        // at the front, so a later failure puts the whole message back (31/EXPAIR: messages are atomic).
        var frames = batch.Frames;
        var encoded = batch.Encoded;
        var done = encoded == 0 ? 0 : Array.FindLastIndex(frames, encoded - 1, encoded, f => !f.More) + 1;
        for (var i = 0; i < done; i++)
            frames[i].Release();
        Array.Copy(frames, done, frames, 0, batch.Pulled - done);
        Array.Clear(frames, batch.Pulled - done, done);
        Array.Clear(batch.Ends, 0, encoded); // only these were written since the last clear
        batch.Pulled -= done;
        batch.Encoded -= done;
        if (messages > 0)
            outbound.CompleteSent(messages);
        return true;
    }

    private int WritePendingPong(byte[] buffer)
    {
        lock (_incoming)
        {
            if (_pongLength < 0 || !_peerSupportsHeartbeats)
                return 0;
            var length = Commands.WritePong(buffer, _pongContext.AsSpan(0, _pongLength));
            _pongLength = -1;
            return length;
        }
    }
}
