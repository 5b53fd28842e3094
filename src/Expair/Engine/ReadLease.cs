using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Expair.Core;
using Expair.Internal;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// Who reads the socket: the receive thread, or a caller it lent the read side to. In a request-reply exchange (the
/// caller sent something since it last found the queue empty), a caller blocked in a receive on an idle connection
/// reads the socket itself, so the message reaches it without the receive thread waking it. A consumer that only
/// receives keeps the receive thread reading ahead of it. The receive thread lends the read side when it has nothing
/// buffered and a caller asked for it; it sleeps meanwhile, and takes the read side back once a whole
/// <see cref="LendTime"/> passes unused, or at once when an async receiver waits or a caller's read failed.
/// The holder owns the <see cref="FrameReceiver"/>; hand-overs are compare-and-swaps on one word, so the other
/// side's writes are visible to the new holder.
/// </summary>
internal sealed class ReadLease : IEagerWriter
{
    /// <summary>
    /// How long a lent read side may go unused before the receive thread reads again: short against a heartbeat (a
    /// peer's PING waits at most this long when no caller reads), long against a request-reply turn.
    /// </summary>
    private static readonly TimeSpan LendTime = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The longest one blocking read waits (the socket's receive timeout while callers may read): a caller then looks
    /// at its deadline, the pipe and the stop token. A deadline closer than this is waited for with poll.
    /// </summary>
    public static readonly TimeSpan ReadSlice = TimeSpan.FromSeconds(10);

    // The holder, in the low two bits of the word; the rest counts hand-overs, so the receive thread sees that a
    // caller used the read side while it slept even when it was given back.
    private const int ByReceiveThread = 0, Lent = 1, ByCaller = 2, HolderMask = 3, NextTurn = 4;

    private readonly FrameReceiver _receiver;
    private readonly PeerPipes _pipes;
    private readonly BlockingStream _io;
    private readonly ProbeSettings _settings;
    private readonly CancellationToken _stop;
    private readonly int[] _wordCell = GC.AllocateArray<int>(32, pinned: true); // a futex word on a line of its own
    private int _callerWantsToRead;
    private ExceptionDispatchInfo? _callerFailure; // what ended the connection on a caller's thread
    private bool _callerSawEnd; // a caller read the end of the stream
    private int _lenderSleeps; // the receive thread sleeps until a caller gives the read side back
    private long _sentAtLastAsk; // messages the socket had sent when a caller last found the queue empty
    private long _takenAtLastAsk = -1; // and the messages callers had taken then (none yet: no earlier ask)
    private long _callerReads;

    public ReadLease(FrameReceiver receiver, PeerPipes pipes, BlockingStream io, ProbeSettings settings, CancellationToken stop)
    {
        _receiver = receiver;
        _pipes = pipes;
        _io = io;
        _settings = settings;
        _stop = stop;
    }

    private ref int Word => ref _wordCell[16];

    private unsafe int* WordAddress => (int*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref Word);

    /// <summary>Times a caller took the read side.</summary>
    public long CallerReads => Interlocked.Read(ref _callerReads);

    /// <summary>True while the read side is lent to callers, or a caller holds it.</summary>
    public bool IsLent => Holder(Volatile.Read(ref Word)) != ByReceiveThread;

    /// <summary>True once a caller asked for the read side, until the receive thread lends it.</summary>
    public bool CallerAsked => Volatile.Read(ref _callerWantsToRead) != 0;

    /// <summary>True while a caller holds the read side.</summary>
    public bool CallerHolds => Holder(Volatile.Read(ref Word)) == ByCaller;

    /// <summary>True while the receive thread sleeps until a caller gives the read side back.</summary>
    public bool LenderSleeps => Volatile.Read(ref _lenderSleeps) != 0;

    /// <summary>A caller met the end of the stream: the receive thread ends the connection as if it met it.</summary>
    public bool CallerSawEnd => _callerSawEnd;

    /// <summary>Rethrows, on the receive thread, what ended the connection on a caller's thread.</summary>
    public void ThrowIfCallerFailed() => _callerFailure?.Throw();

    private static int Holder(int word) => word & HolderMask;

    private static int Turn(int word, int holder) => (word & ~HolderMask) + NextTurn | holder;

    /// <summary>Lets callers read, where blocking reads can be bounded and the lender can sleep on a futex.</summary>
    public void Enable()
    {
        if (Futex.IsSupported && _io.TrySetReceiveTimeout(ReadSlice))
            _pipes.Inbound.EagerWriter = this;
    }

    public void End()
    {
        if (_pipes.Inbound.EagerWriter == this)
            _pipes.Inbound.EagerWriter = null;
    }

    /// <summary>Wakes a receive thread sleeping with its read side lent (the connection stops, or it must read itself).</summary>
    public unsafe void WakeLender()
    {
        if (Futex.IsSupported)
            Futex.WakeAll(WordAddress);
    }

    /// <summary>
    /// The receive thread, with nothing buffered: lends the read side when a caller asked for it, and sleeps until it
    /// is its own again. False when no caller asked (read as usual).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public unsafe bool LendToCaller()
    {
        if (Volatile.Read(ref _callerWantsToRead) == 0 || !Futex.IsSupported)
            return false;
        Volatile.Write(ref _callerWantsToRead, 0);
        var seen = Turn(Volatile.Read(ref Word), Lent);
        Volatile.Write(ref Word, seen);
        // The caller that asked may already wait on the pipe for the very message it asked to read (it found the
        // read side busy): lent and unwoken, the read side would sit unused with the message in the socket. The
        // signal moves after the read side is lent, so the caller wakes and takes it, or finds it lent when it looks.
        _pipes.Inbound.Readable.Set();
        while (true)
        {
            Futex.Wait(WordAddress, seen, LendTime);
            var now = Volatile.Read(ref Word);
            if (Holder(now) == ByReceiveThread)
                return true; // given back: an async receiver waits, or a caller's read failed
            // Unused for a whole period, or the connection stops: take it back (not from a caller in the middle of a read).
            var unchanged = now == seen;
            if ((unchanged && !_settings.KeepLent || _stop.IsCancellationRequested) && Holder(now) == Lent
                && Interlocked.CompareExchange(ref Word, Turn(now, ByReceiveThread), now) == now)
                return true;
            if (unchanged && Holder(now) == ByCaller && !_stop.IsCancellationRequested)
                SleepWhileCallerHolds(now);
            seen = Volatile.Read(ref Word);
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
        if (Volatile.Read(ref Word) == held)
            Futex.Wait(WordAddress, held, Timeout.InfiniteTimeSpan); // the kernel checks "still held?" as it sleeps
        Volatile.Write(ref _lenderSleeps, 0);
    }

    /// <summary>A caller gives the read side back (lent again, or to the receive thread), waking the receive thread if it sleeps for it.</summary>
    [MethodImpl(HotPath.Optimized)]
    private void GiveBack(int word)
    {
        Volatile.Write(ref Word, word);
        Interlocked.MemoryBarrier();
        if (Holder(word) == ByReceiveThread || Volatile.Read(ref _lenderSleeps) != 0)
            WakeLender();
    }

    [MethodImpl(HotPath.Optimized)]
    bool IEagerWriter.TryFillNow(Signal readable, long seen, Deadline deadline)
    {
        // Only a caller that sent something since it last found the queue empty: a request waiting for its reply, or
        // a server waiting for the next request. A consumer that only receives is behind a stream, which the receive
        // thread reads best. The same caller asking again before it took a message is still that caller.
        var sent = _pipes.Outbound.MessagesWritten;
        var taken = _pipes.Inbound.MessagesRead;
        var askedAgain = Interlocked.Exchange(ref _takenAtLastAsk, taken) == taken;
        if (Interlocked.Exchange(ref _sentAtLastAsk, sent) == sent && !askedAgain)
        {
            ((IEagerWriter)this).ResumeOwnReads();
            return false;
        }
        var word = Volatile.Read(ref Word);
        if (Holder(word) != Lent)
        {
            if (Holder(word) == ByReceiveThread && Volatile.Read(ref _callerWantsToRead) == 0)
                Volatile.Write(ref _callerWantsToRead, 1); // lend it after the next delivery
            return false;
        }
        var mine = Turn(word, ByCaller);
        if (Interlocked.CompareExchange(ref Word, mine, word) != word)
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
            // The end of the connection, met on the caller's thread: the receive thread ends the connection as it
            // would have; the caller goes on waiting on the pipe, which that end closes.
            if (e is EndOfStreamOnCaller)
                _callerSawEnd = true;
            else
                _callerFailure = ExceptionDispatchInfo.Capture(e);
            GiveBack(Turn(mine, ByReceiveThread));
            return true;
        }
    }

    [MethodImpl(HotPath.Optimized)]
    void IEagerWriter.ResumeOwnReads()
    {
        var word = Volatile.Read(ref Word);
        if (Holder(word) == Lent && Interlocked.CompareExchange(ref Word, Turn(word, ByReceiveThread), word) == word)
            WakeLender();
    }

    /// <summary>
    /// Holding the read side on a caller's thread: reads and decodes until a message is delivered (true), the pipe's
    /// signal moves (true) or the deadline passes (false).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    private bool ReadOnCaller(Signal readable, long seen, Deadline deadline)
    {
        var receiver = _receiver;
        while (true)
        {
            _stop.ThrowIfCancellationRequested();
            receiver.DecodeBuffered(deadline);
            receiver.LargeBodyDelivered = false; // the receive thread's reply wait is for what it delivered itself
            if (receiver.HasCompleteMessages)
            {
                receiver.DeliverNow(); // what the pipe has no room for waits for the next reader
                return true;
            }
            if (readable.Version != seen)
                return true;
            if (receiver.BodyPending)
                return false; // a body cut by the deadline waits for the next reader
            var read = receiver.FillSome(deadline);
            if (read == 0)
                throw new EndOfStreamOnCaller();
            if (read < 0 && deadline.Remaining == TimeSpan.Zero)
                return false;
        }
    }

    /// <summary>The peer closed the connection while a caller held the read side.</summary>
    private sealed class EndOfStreamOnCaller : Exception;
}
