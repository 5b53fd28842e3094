using System.Diagnostics;
using Expair.Core;

namespace Expair.Engine;

/// <summary>
/// Replies written by the receive thread. After delivering a large body with nothing more to read, the receive
/// thread waits a moment (<see cref="HoverTime"/>, spinning) for a reply, which request-reply, echo and forwarding
/// traffic queue at once; when a caller queues one on the idle line, the receive thread writes it instead of the
/// caller. The bytes then go to the kernel from the core that just received the request, where the kernel's
/// freed pages are too: 1 MiB round trips over ipc between two Expair sockets went from a one-way median of 208
/// to 171 µs over five interleaved runs (libzmq, whose one I/O thread receives and sends, 152). Only after large
/// bodies: after small ones the spinning receive thread took a core from the threads doing the work, and 1 B round
/// trips became bimodal.
/// A wait that catches nothing doubles how many later chances are skipped (up to 64), so a receiver that never
/// replies spends at most <see cref="HoverTime"/> per 65 large messages on it.
/// </summary>
internal sealed partial class ZmtpEngine
{
    /// <summary>How long the receive thread waits for a reply: an echo's comes within microseconds, a computed one later.</summary>
    internal static readonly TimeSpan HoverTime = TimeSpan.FromMicroseconds(100);

    private static readonly long HoverTicks = (long)(HoverTime.TotalSeconds * Stopwatch.Frequency);
    private const int MaxHoverSkip = 64;

    // Idle, the receive thread waiting for a reply, or a caller's reply queued for it to write.
    private const int NotHovering = 0, Hovering = 1, ReplyQueued = 2;

    private long _hoverTicks = HoverTicks;
    private int _hover;
    private int _hoverFrames; // the queued reply's frame count, written before the move to ReplyQueued
    private int _hoverSkip;
    private int _hoverBackoff;
    private bool _largeBodyInMessage; // the message being decoded has a body read straight into its buffer
    private bool _largeBodyDelivered; // a message with one was delivered since the last wait
    private long _repliesTaken;

    /// <summary>Replies the receive thread took from their callers to write (for tests).</summary>
    internal long RepliesTaken => Interlocked.Read(ref _repliesTaken);

    /// <summary>True while the receive thread waits for a reply (for tests).</summary>
    internal bool AwaitingReply => Volatile.Read(ref _hover) == Hovering;

    /// <summary>How long this connection's receive thread waits for a reply (tests make it long, to be sure to catch one).</summary>
    internal TimeSpan ReplyWait
    {
        set => Volatile.Write(ref _hoverTicks, (long)(value.TotalSeconds * Stopwatch.Frequency));
    }

    /// <summary>A caller's message was just queued on an idle line: true when the waiting receive thread will write it.</summary>
    private bool TryHandToReceiveThread(int frames)
    {
        if (Volatile.Read(ref _hover) != Hovering)
            return false;
        _hoverFrames = frames;
        return Interlocked.CompareExchange(ref _hover, ReplyQueued, Hovering) == Hovering;
    }

    /// <summary>The receive thread, about to block reading: waits a moment for a reply when a large body was just delivered.</summary>
    private void AwaitReply(Pipe outbound)
    {
        if (!_largeBodyDelivered || outbound.EagerReader != this)
            return;
        _largeBodyDelivered = false;
        if (_hoverSkip > 0)
        {
            _hoverSkip--;
            return;
        }
        Volatile.Write(ref _hover, Hovering);
        var start = Stopwatch.GetTimestamp();
        var spinner = default(SpinWait);
        var ticks = Volatile.Read(ref _hoverTicks);
        while (Volatile.Read(ref _hover) == Hovering && Stopwatch.GetTimestamp() - start < ticks && !_stop.IsCancellationRequested)
            spinner.SpinOnce(sleep1Threshold: -1); // yields from the 11th round: the replying thread may share this core
        if (Interlocked.CompareExchange(ref _hover, NotHovering, Hovering) == Hovering)
        {
            _hoverBackoff = Math.Min(MaxHoverSkip, Math.Max(1, _hoverBackoff * 2));
            _hoverSkip = _hoverBackoff;
            return;
        }
        _hoverBackoff = 0;
        Volatile.Write(ref _hover, NotHovering);
        WriteQueuedReply(outbound, _hoverFrames);
    }

    /// <summary>Writes the reply a caller left, as a direct write does; what does not go (or cannot now) is the send thread's.</summary>
    private void WriteQueuedReply(Pipe outbound, int frames)
    {
        var written = false;
        try
        {
            if (!_sendGate.TryEnter())
                return;
            try
            {
                if (_trafficEnded || _sendThreadHolds || _handover is not null || _stop.IsCancellationRequested)
                    return;
                Volatile.Write(ref _lastDirect, Stopwatch.GetTimestamp());
                Interlocked.Increment(ref _repliesTaken);
                written = WriteDirect(outbound, frames);
            }
            finally
            {
                _sendGate.Exit();
            }
        }
        finally
        {
            if (!written)
                outbound.Readable.Set(); // the caller did not wake the send thread: it was handed to us
        }
    }
}
