using System.Diagnostics;
using System.Runtime.CompilerServices;
using Expair.Internal;

namespace Expair.Engine;

/// <summary>
/// The reply-wait policy. After delivering a large body with nothing more to read, the receive thread waits a moment
/// (spinning) for a reply, which request-reply, echo and forwarding traffic queue at once; a caller that queues one
/// on the idle line hands it over, and the receive thread writes it as a direct write would, from the core that just
/// received the request. Only after large bodies: after small ones the spinning thread would take a core from the
/// threads doing the work. A wait that catches nothing doubles how many later chances are skipped (up to
/// <see cref="MaxWaitsSkipped"/>), so a receiver that never replies spends little on it.
/// </summary>
internal sealed class ReplyWait(ProbeSettings settings, CancellationToken stop)
{
    /// <summary>How long the receive thread waits for a reply: an echo's comes within microseconds, a computed one later.</summary>
    public static readonly TimeSpan DefaultTime = TimeSpan.FromMicroseconds(100);

    private const int MaxWaitsSkipped = 64;

    // Whether the receive thread waits for a reply, and whether a caller has handed one over to it.
    private const int NotWaiting = 0, WaitingForReply = 1, ReplyHandedOver = 2;

    private int _state;
    private int _handedOverFrames; // the reply's frame count, written before the move to ReplyHandedOver
    private int _waitsToSkip;
    private int _backoff;
    private long _repliesHandedOver;

    /// <summary>Replies callers handed over to the waiting receive thread.</summary>
    public long RepliesHandedOver => Interlocked.Read(ref _repliesHandedOver);

    /// <summary>True while the receive thread waits for a reply.</summary>
    public bool AwaitingReply => Volatile.Read(ref _state) == WaitingForReply;

    /// <summary>A caller's message was just queued on an idle line: true when the waiting receive thread will write it.</summary>
    public bool TryHandOver(int frames)
    {
        if (Volatile.Read(ref _state) != WaitingForReply)
            return false;
        _handedOverFrames = frames;
        return Interlocked.CompareExchange(ref _state, ReplyHandedOver, WaitingForReply) == WaitingForReply;
    }

    /// <summary>
    /// The receive thread, about to block reading after delivering a large body: waits a moment for a reply. Returns
    /// the frame count of the reply handed over, for the receive thread to write; 0 when none came.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public int Await()
    {
        if (_waitsToSkip > 0)
        {
            _waitsToSkip--;
            return 0;
        }
        Volatile.Write(ref _state, WaitingForReply);
        var start = Stopwatch.GetTimestamp();
        var ticks = settings.ReplyWaitTicks;
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _state) == WaitingForReply && Stopwatch.GetTimestamp() - start < ticks && !stop.IsCancellationRequested)
            spinner.SpinOnce(sleep1Threshold: -1); // yields from the 11th round: the replying thread may share this core
        if (Interlocked.CompareExchange(ref _state, NotWaiting, WaitingForReply) == WaitingForReply)
        {
            _backoff = Math.Min(MaxWaitsSkipped, Math.Max(1, _backoff * 2));
            _waitsToSkip = _backoff;
            return 0;
        }
        _backoff = 0;
        Volatile.Write(ref _state, NotWaiting);
        Interlocked.Increment(ref _repliesHandedOver);
        return _handedOverFrames;
    }
}
