using System.Diagnostics;
using Expair.Core;

namespace Expair.Engine;

/// <summary>
/// Replies written by the receive thread. After delivering a large body with nothing more to read, the receive
/// thread waits a moment (<see cref="ReplyWaitTime"/>, spinning) for a reply, which request-reply, echo and
/// forwarding traffic queue at once; when a caller queues one on the idle line, it hands the reply over and the
/// receive thread writes it as a direct write would. The bytes then go to the kernel from the core that just
/// received the request, where the kernel's freed pages are too: 1 MiB round trips over ipc between two Expair
/// sockets went from a one-way median of 208 to 171 µs over five interleaved runs (libzmq, whose one I/O thread
/// receives and sends, 152). Only after large bodies: after small ones the spinning receive thread took a core from
/// the threads doing the work, and 1 B round trips became bimodal. A wait that catches nothing doubles how many
/// later chances are skipped (up to 64), so a receiver that never replies spends at most
/// <see cref="ReplyWaitTime"/> per 65 large messages on it.
/// </summary>
internal sealed partial class ZmtpEngine
{
    /// <summary>How long the receive thread waits for a reply: an echo's comes within microseconds, a computed one later.</summary>
    internal static readonly TimeSpan ReplyWaitTime = TimeSpan.FromMicroseconds(100);

    private const int MaxReplyWaitsSkipped = 64;

    // Whether the receive thread waits for a reply, and whether a caller has handed one over to it.
    private const int NotWaiting = 0, WaitingForReply = 1, ReplyHandedOver = 2;

    private long _replyWaitTicks = (long)(ReplyWaitTime.TotalSeconds * Stopwatch.Frequency);
    private int _replyWait;
    private int _handedOverFrames; // the reply's frame count, written before the move to ReplyHandedOver
    private int _replyWaitsToSkip;
    private int _replyWaitBackoff;
    private bool _largeBodyInMessage; // the message being decoded has a body read straight into its buffer
    private bool _largeBodyDelivered; // a message with one was delivered since the last wait
    private long _repliesHandedOver;

    /// <summary>Replies callers handed over to the waiting receive thread (for tests).</summary>
    internal long RepliesHandedOver => Interlocked.Read(ref _repliesHandedOver);

    /// <summary>True while the receive thread waits for a reply (for tests).</summary>
    internal bool AwaitingReply => Volatile.Read(ref _replyWait) == WaitingForReply;

    /// <summary>How long this connection's receive thread waits for a reply (tests make it long, to be sure to catch one).</summary>
    internal TimeSpan ReplyWait
    {
        set => Volatile.Write(ref _replyWaitTicks, (long)(value.TotalSeconds * Stopwatch.Frequency));
    }

    /// <summary>A caller's message was just queued on an idle line: true when the waiting receive thread will write it.</summary>
    private bool TryHandOverReply(int frames)
    {
        if (Volatile.Read(ref _replyWait) != WaitingForReply)
            return false;
        _handedOverFrames = frames;
        return Interlocked.CompareExchange(ref _replyWait, ReplyHandedOver, WaitingForReply) == WaitingForReply;
    }

    /// <summary>The receive thread, about to block reading: waits a moment for a reply when a large body was just delivered.</summary>
    private void AwaitReply(Pipe outbound)
    {
        if (!_largeBodyDelivered || outbound.EagerReader != this)
            return;
        _largeBodyDelivered = false;
        if (_replyWaitsToSkip > 0)
        {
            _replyWaitsToSkip--;
            return;
        }
        Volatile.Write(ref _replyWait, WaitingForReply);
        var start = Stopwatch.GetTimestamp();
        var ticks = Volatile.Read(ref _replyWaitTicks);
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _replyWait) == WaitingForReply && Stopwatch.GetTimestamp() - start < ticks && !_stop.IsCancellationRequested)
            spinner.SpinOnce(sleep1Threshold: -1); // yields from the 11th round: the replying thread may share this core
        if (Interlocked.CompareExchange(ref _replyWait, NotWaiting, WaitingForReply) == WaitingForReply)
        {
            _replyWaitBackoff = Math.Min(MaxReplyWaitsSkipped, Math.Max(1, _replyWaitBackoff * 2));
            _replyWaitsToSkip = _replyWaitBackoff;
            return;
        }
        _replyWaitBackoff = 0;
        Volatile.Write(ref _replyWait, NotWaiting);
        Interlocked.Increment(ref _repliesHandedOver);
        // The caller did not wake the send thread: what does not go now (or at all) is left to it.
        if (!TryWriteDirect(outbound, _handedOverFrames, Stopwatch.GetTimestamp()))
            outbound.Readable.Set();
    }
}
