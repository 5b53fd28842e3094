using Expair.Internal;

namespace Expair.Core;

/// <summary>
/// Sending and receiving whole messages. Each operation is one non-blocking step that either completes or
/// names the signal to wait on; the blocking and async public methods are thin loops around the same step.
/// </summary>
internal sealed partial class PairCore
{
    /// <summary>One attempt to queue <paramref name="message"/> for the peer. On <see cref="Step.Done"/> the pipe owns the frames.</summary>
    public Step TrySendStep(ReadOnlySpan<Frame> message, out Signal waitOn, out long seen)
    {
        while (true)
        {
            waitOn = PeerChanged;
            seen = PeerChanged.Version;
            Pipe? pipe;
            lock (_lock)
            {
                if (_closed)
                    return Step.Closed;
                pipe = _outbound;
            }
            if (pipe is null)
                return Step.Wait; // 31/EXPAIR: no peer, so no queue to accept the message
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
    public Step TryReceiveStep(List<Frame> into, bool singleFrameOnly, out Signal waitOn, out long seen)
    {
        while (true)
        {
            waitOn = PeerChanged;
            seen = PeerChanged.Version;
            Pipe? pipe;
            lock (_lock)
            {
                if (_closed)
                    return Step.Closed;
                pipe = _inbound.Count > 0 ? _inbound[0] : null;
            }
            if (pipe is null)
                return Step.Wait;
            var readableSeen = pipe.Readable.Version;
            switch (pipe.TryRead(into, singleFrameOnly))
            {
                case ReadResult.Message:
                    return Step.Done;
                case ReadResult.Multipart:
                    return Step.Multipart;
                case ReadResult.Empty:
                    waitOn = pipe.Readable;
                    seen = readableSeen;
                    return Step.Wait;
                default:
                    lock (_lock)
                        _inbound.Remove(pipe); // drained and its writer gone
                    continue;
            }
        }
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

internal enum Step { Done, Wait, Closed, Multipart }
