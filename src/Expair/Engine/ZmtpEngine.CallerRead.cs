using System.Runtime.ExceptionServices;
using Expair.Core;
using Expair.Internal;

namespace Expair.Engine;

/// <summary>
/// Reads on the caller's thread: in a request-reply exchange (the caller sent something since it last found the queue
/// empty), a caller blocked in a receive on an idle connection reads the socket itself, so the message reaches it
/// without the receive thread waking it (one thread hand-over less per message, the one that costs most when both
/// cores are busy). A consumer that only receives keeps the receive thread reading ahead of it. The receive thread lends the socket's read side when it has nothing
/// buffered and a caller has asked for it (<see cref="IEagerWriter.TryFillNow"/> found the receive thread reading):
/// it then sleeps, and takes the read side back once a whole <see cref="LendTime"/> passes without a caller
/// using it, or at once when an async receiver waits (it cannot read on its own thread) or a caller's read failed.
/// Whoever holds the read side owns the receive buffer and the decoder's state; the hand-overs are the
/// compare-and-swaps on one word, so the other side's writes are visible to the new holder.
/// </summary>
internal sealed partial class ZmtpEngine : IEagerWriter
{
    /// <summary>
    /// How long a lent read side may go unused before the receive thread reads again. Short against a heartbeat
    /// (a peer's PING waits at most this long when no caller reads) and long against a request-reply turn, so a
    /// caller that keeps receiving keeps the read side; the receive thread wakes once per period meanwhile, and
    /// sleeps until woken while one caller holds the read side for longer. (1 ms made both sides' receive threads
    /// wake a thousand times a second in the middle of the exchange; 20 ms, fifty.)
    /// </summary>
    private static readonly TimeSpan LendTime = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The longest one blocking read waits (the socket's receive timeout, set while callers may read): a caller then
    /// looks at its deadline, the pipe and the stop token, and the receive thread reads again. A caller blocks in the
    /// read itself, as the receive thread does, rather than poll first: a poll before every read of a large body's
    /// pieces made 1 MiB round trips over ipc about a fifth slower (one-way medians about 158 against 125 µs).
    /// 100 ms here made whole runs slow at random (tcp 1 MiB one-way 143-290 µs over eight runs, p99 up to 1.1 ms);
    /// 10 s: 133-138 µs in eight of eight (p99 329-397), ipc 1 MiB 113-124 µs in eight of eight. Why the shorter
    /// receive timeout hurts was not found; a deadline closer than a slice is still waited for with poll.
    /// </summary>
    private static readonly TimeSpan ReadSlice = TimeSpan.FromSeconds(10);

    // The read side's holder, in the low two bits of the word; the rest counts hand-overs, so the receive thread sees
    // that a caller used the read side while it slept even when it was given back.
    private const int ByReceiveThread = 0, Lent = 1, ByCaller = 2, HolderMask = 3, NextTurn = 4;

    private readonly int[] _readSideCell = GC.AllocateArray<int>(32, pinned: true); // a futex word on a line of its own
    private int _callerWantsToRead;
    private ExceptionDispatchInfo? _callerFailure; // what ended the connection on a caller's thread, for the receive thread to end with
    private bool _callerSawEnd; // a caller read the end of the stream
    private int _lenderSleeps; // the receive thread sleeps until a caller gives the read side back
    private long _sentAtLastAsk; // messages the socket had sent when a caller last found the queue empty
    private long _takenAtLastAsk = -1; // and the messages callers had taken then (none yet: no earlier ask)
    private long _callerReads;

    private ref int ReadSide => ref _readSideCell[16];

    private unsafe int* ReadSideWord => (int*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref ReadSide);

    private bool _keepLent;

    /// <summary>Times a caller took the read side (for tests).</summary>
    internal long CallerReads => Interlocked.Read(ref _callerReads);

    /// <summary>True while the read side is lent to callers, or a caller holds it (for tests).</summary>
    internal bool ReadSideLent => Holder(Volatile.Read(ref ReadSide)) != ByReceiveThread;

    /// <summary>True once a caller asked for the read side, until the receive thread lends it (for tests).</summary>
    internal bool CallerAskedToRead => Volatile.Read(ref _callerWantsToRead) != 0;

    /// <summary>True while a caller holds the read side (for tests).</summary>
    internal bool CallerHoldsReadSide => Holder(Volatile.Read(ref ReadSide)) == ByCaller;

    /// <summary>Tests: the receive thread takes a lent read side back only when told to, never for going unused.</summary>
    internal bool KeepLent
    {
        set => Volatile.Write(ref _keepLent, value);
    }

    /// <summary>True while the receive thread sleeps until a caller gives the read side back (for tests).</summary>
    internal bool LenderSleeps => Volatile.Read(ref _lenderSleeps) != 0;

    private static int Holder(int word) => word & HolderMask;

    private static int Turn(int word, int holder) => (word & ~HolderMask) + NextTurn | holder;

    private void EnableCallerReads()
    {
        if (Futex.IsSupported && _io!.TrySetReceiveTimeout(ReadSlice))
            _pipes!.Inbound.EagerWriter = this;
    }

    private void EndCallerReads()
    {
        var inbound = _pipes!.Inbound;
        if (inbound.EagerWriter == this)
            inbound.EagerWriter = null;
    }

    /// <summary>Wakes a receive thread sleeping with its read side lent (the engine stops, or must read itself).</summary>
    private unsafe void WakeLender()
    {
        if (Futex.IsSupported)
            Futex.WakeAll(ReadSideWord);
    }

    /// <summary>
    /// The receive thread, with nothing buffered: lends the read side when a caller asked for it, and sleeps until it
    /// is its own again. False when no caller asked (read as usual).
    /// </summary>
    private unsafe bool LendReadsToCaller(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _callerWantsToRead) == 0 || !Futex.IsSupported)
            return false;
        Volatile.Write(ref _callerWantsToRead, 0);
        var seen = Turn(Volatile.Read(ref ReadSide), Lent);
        Volatile.Write(ref ReadSide, seen);
        // The caller that asked may already wait on the pipe for the very message it asked to read: it found the
        // read side busy (this thread was waiting for a reply to write, or between reads) and went to sleep. Lent
        // and unwoken, the read side would sit unused until the period below ran out, with the message in the
        // socket: 20 ms stalls, round trip after round trip once in step (tcp 64 KiB round trips: p99 20 ms, whole
        // runs 5-30 times slower). The signal moves after the read side is lent, so the caller wakes and takes it,
        // or it has not yet looked and will find it lent.
        _pipes!.Inbound.Readable.Set();
        while (true)
        {
            Futex.Wait(ReadSideWord, seen, LendTime);
            var now = Volatile.Read(ref ReadSide);
            if (Holder(now) == ByReceiveThread)
                return true; // given back: an async receiver waits, or a caller's read failed
            // Unused for a whole period, or the engine stops: take it back (not from a caller in the middle of a read).
            var unchanged = now == seen;
            if ((unchanged && !Volatile.Read(ref _keepLent) || cancellationToken.IsCancellationRequested) && Holder(now) == Lent
                && Interlocked.CompareExchange(ref ReadSide, Turn(now, ByReceiveThread), now) == now)
                return true;
            if (unchanged && Holder(now) == ByCaller && !cancellationToken.IsCancellationRequested)
                SleepWhileCallerHolds(now);
            seen = Volatile.Read(ref ReadSide);
        }
    }

    /// <summary>
    /// A caller has held the read side for a whole period, waiting for bytes (an idle line): rather than look every
    /// period, the receive thread sleeps until that caller gives the read side back, which then wakes it.
    /// </summary>
    private unsafe void SleepWhileCallerHolds(int held)
    {
        Volatile.Write(ref _lenderSleeps, 1);
        Interlocked.MemoryBarrier(); // against the caller's give-back-then-look (Dekker's handshake, see GiveBack)
        if (Volatile.Read(ref ReadSide) == held)
            Futex.Wait(ReadSideWord, held, Timeout.InfiniteTimeSpan); // the kernel checks "still held?" as it sleeps
        Volatile.Write(ref _lenderSleeps, 0);
    }

    /// <summary>A caller gives the read side back (lent again, or to the receive thread), waking the receive thread if it sleeps for it.</summary>
    private void GiveBack(int word)
    {
        Volatile.Write(ref ReadSide, word);
        Interlocked.MemoryBarrier();
        if (Holder(word) == ByReceiveThread || Volatile.Read(ref _lenderSleeps) != 0)
            WakeLender();
    }

    bool IEagerWriter.TryFillNow(Signal readable, long seen, Deadline deadline)
    {
        // Only a caller that sent something since it last found the queue empty: a request waiting for its reply,
        // or a server waiting for the next request. A consumer that only receives is behind a stream, which the
        // receive thread reads best, ahead of what the consumer does with each message.
        // The same caller asking again before it took a message (woken by the lending above) is still that caller.
        var sent = _pipes!.Outbound.MessagesWritten;
        var taken = _pipes.Inbound.MessagesRead;
        var askedAgain = Interlocked.Exchange(ref _takenAtLastAsk, taken) == taken;
        if (Interlocked.Exchange(ref _sentAtLastAsk, sent) == sent && !askedAgain)
        {
            ((IEagerWriter)this).ResumeOwnReads();
            return false;
        }
        var word = Volatile.Read(ref ReadSide);
        if (Holder(word) != Lent)
        {
            if (Holder(word) == ByReceiveThread && Volatile.Read(ref _callerWantsToRead) == 0)
                Volatile.Write(ref _callerWantsToRead, 1); // lend it after the next delivery
            return false;
        }
        var mine = Turn(word, ByCaller);
        if (Interlocked.CompareExchange(ref ReadSide, mine, word) != word)
            return false;
        Interlocked.Increment(ref _callerReads);
        try
        {
            var progressed = ReadOnCaller(readable, seen, deadline);
            GiveBack(Turn(mine, Lent));
            return progressed;
        }
        catch (Exception e)
        {
            // The end of the connection, met on the caller's thread: the receive thread ends the engine as it would
            // have; the caller goes on waiting on the pipe, which that end closes.
            if (e is EndOfStreamOnCaller)
                _callerSawEnd = true;
            else
                _callerFailure = ExceptionDispatchInfo.Capture(e);
            GiveBack(Turn(mine, ByReceiveThread));
            return true;
        }
    }

    void IEagerWriter.ResumeOwnReads()
    {
        var word = Volatile.Read(ref ReadSide);
        if (Holder(word) == Lent && Interlocked.CompareExchange(ref ReadSide, Turn(word, ByReceiveThread), word) == word)
            WakeLender();
    }

    /// <summary>
    /// Holding the read side on a caller's thread: reads and decodes until a message is delivered (true), the pipe's
    /// signal moves (true) or the deadline passes (false).
    /// </summary>
    private bool ReadOnCaller(Signal readable, long seen, Deadline deadline)
    {
        var inbound = _pipes!.Inbound;
        while (true)
        {
            _stop.Token.ThrowIfCancellationRequested();
            DecodeBuffered(inbound, deadline, _stop.Token);
            _largeBodyDelivered = false; // the receive thread's reply wait is for what it delivered itself
            if (_completeFrames > 0)
            {
                DeliverNow(inbound); // what the pipe has no room for waits for the next reader
                return true;
            }
            if (readable.Version != seen)
                return true;
            if (_bodyRemaining > 0)
                return false; // a body cut by the deadline waits for the next reader
            var read = FillSome(deadline);
            if (read == 0)
                throw new EndOfStreamOnCaller();
            if (read < 0 && deadline.Remaining == TimeSpan.Zero)
                return false;
        }
    }

    /// <summary>True when the socket has bytes to read (for tests; it only looks).</summary>
    internal bool BytesWaiting => Volatile.Read(ref _io)?.WaitReadable(TimeSpan.Zero) == true;

    /// <summary>The peer closed the connection while a caller held the read side.</summary>
    private sealed class EndOfStreamOnCaller : Exception;
}
