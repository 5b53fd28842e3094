using System.Runtime.CompilerServices;
using Expair.Internal;

namespace Expair.Core;

/// <summary>
/// Sending and receiving whole messages. Each operation is one non-blocking step that either completes or
/// names the signal to wait on; the blocking and async public methods are thin loops around the same step.
/// </summary>
internal sealed partial class PairCore
{
    /// <summary>One attempt to queue <paramref name="message"/> for the peer. On <see cref="Step.Done"/> the pipe owns the frames.</summary>
    [MethodImpl(HotPath.Optimized)]
    public Step TrySendStep(ReadOnlySpan<Frame> message, out Signal waitOn, out long seen)
    {
        while (true)
        {
            waitOn = PeerChanged;
            seen = PeerChanged.Version;
            if (_closed)
                return Step.Closed;
            var pipe = _outbound;
            if (pipe is null)
                return _refusal is null ? Step.Wait : Step.Refused; // 31/EXPAIR: no peer, so no queue to accept the message
            var writableSeen = pipe.Writable.Version;
            switch (pipe.TryWrite(message))
            {
                case WriteResult.Written:
                    return Step.Done;
                case WriteResult.Full:
                    waitOn = pipe.Writable;
                    seen = writableSeen;
                    return Step.Wait;
                default:
                    continue; // the peer left between our look and our write: look again
            }
        }
    }

    /// <summary>One attempt to take the next message; earlier peers' leftovers come first.</summary>
    [MethodImpl(HotPath.Optimized)]
    public Step TryReceiveStep<TRead>(ref TRead read, out Signal waitOn, out long seen)
        where TRead : struct, IPipeRead
    {
        while (true)
        {
            waitOn = PeerChanged;
            seen = PeerChanged.Version;
            if (_closed)
                return Step.Closed;
            var pipe = _firstInbound;
            if (pipe is null)
                return _refusal is null ? Step.Wait : Step.Refused; // what arrived was read first
            var readableSeen = pipe.Readable.Version;
            switch (read.ReadFrom(pipe))
            {
                case ReadResult.Message:
                    return Step.Done;
                case ReadResult.Multipart:
                    return Step.Multipart;
                case ReadResult.TooLarge:
                    return Step.TooLarge;
                case ReadResult.Empty:
                    if (!pipe.PrepareToWaitReadable(gather: pipe.WrittenOneByOne && OnlyReceiving()))
                        continue; // a message arrived while we looked: read it
                    waitOn = pipe.Readable;
                    seen = readableSeen;
                    return Step.Wait;
                default:
                    lock (_lock)
                    {
                        if (_inbound.Remove(pipe)) // drained and its writer gone
                            RetireInboundLocked(pipe);
                        _firstInbound = _inbound.Count > 0 ? _inbound[0] : null;
                    }
                    continue;
            }
        }
    }

    /// <summary>
    /// True when the socket sent nothing since a receive last found the queue empty: a consumer of a stream, not one
    /// side of a request and reply (whose receiver waits for an answer and must not be slowed).
    /// </summary>
    private bool OnlyReceiving()
    {
        var sent = _outbound?.MessagesWritten ?? 0;
        var quiet = sent == _sentAtLastEmpty;
        _sentAtLastEmpty = sent;
        return quiet;
    }

    /// <summary>
    /// A blocking receiver that <see cref="TryReceiveStep"/> told to wait on an empty pipe's <paramref name="waitOn"/>
    /// reads the connection on its own thread when its engine allows (<see cref="IEagerWriter"/>): true when it did,
    /// and the pipe is worth another look; false to wait as usual.
    /// </summary>
    public bool TryFillOnCaller(Signal waitOn, long seen, Deadline deadline) =>
        _firstInbound is { } pipe && waitOn == pipe.Readable && pipe.EagerWriter is { } writer && writer.TryFillNow(waitOn, seen, deadline);

    /// <summary>An async receiver is about to wait on <paramref name="waitOn"/>: the engine's receive thread must be the one reading.</summary>
    public void BeforeAsyncWait(Signal waitOn)
    {
        if (_firstInbound is { } pipe && waitOn == pipe.Readable)
            pipe.EagerWriter?.ResumeOwnReads();
    }

    /// <summary>Marks the core closed and wakes every waiter so it sees that.</summary>
    private void WakeAll()
    {
        Pipe[] inbound;
        Pipe? outbound;
        lock (_lock)
        {
            inbound = [.. _inbound];
            outbound = _outbound;
        }
        foreach (var pipe in inbound)
            pipe.Readable.Set();
        outbound?.Writable.Set();
        PeerChanged.Set();
    }
}

/// <summary>
/// A send or receive step's outcome. <see cref="Refused"/>: no peer, and none will come, because the connecting
/// endpoint's handshake ended with ERROR (<see cref="PairCore.Refusal"/>).
/// </summary>
internal enum Step { Done, Wait, Closed, Multipart, TooLarge, Refused }

/// <summary>How a receive takes a message from a pipe; a struct so the receive loop stays allocation-free.</summary>
internal interface IPipeRead
{
    ReadResult ReadFrom(Pipe pipe);

    /// <summary>After <see cref="ReadResult.TooLarge"/>: the length of the message left queued.</summary>
    int RefusedLength { get; }
}

/// <summary>Takes a whole message (all its frames) into a list, or only a single-frame one.</summary>
internal readonly struct WholeMessageRead(List<Frame> into, bool singleFrameOnly) : IPipeRead
{
    public List<Frame> Into => into;

    public int RefusedLength => 0;

    public ReadResult ReadFrom(Pipe pipe) => pipe.TryRead(into, singleFrameOnly);
}

/// <summary>Takes a single-frame message of at most maxLength bytes, leaving anything else queued.</summary>
internal struct SingleFrameRead(int maxLength) : IPipeRead
{
    public Frame Frame;

    public int RefusedLength { get; private set; }

    public ReadResult ReadFrom(Pipe pipe)
    {
        var result = pipe.TryReadSingle(maxLength, out Frame, out var length);
        RefusedLength = length;
        return result;
    }
}
