using System.Runtime.CompilerServices;
using Expair.Internal;

namespace Expair.Core;

/// <summary>The reader's side: under its own lock, touching the writer's positions only when it seems to run out.</summary>
internal sealed partial class Pipe
{
    /// <summary>
    /// Takes the next message when it is a single frame of at most <paramref name="maxLength"/> bytes; otherwise
    /// leaves it queued and says why (<see cref="ReadResult.Multipart"/>, or <see cref="ReadResult.TooLarge"/> with its length).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public ReadResult TryReadSingle(int maxLength, out Frame frame, out int tooLargeLength)
    {
        frame = default;
        tooLargeLength = 0;
        bool wake;
        using (SpinGate.Hold(ref _c.ReaderLock))
        {
            if (!AnyQueued())
                return NothingQueued();
            var ring = _ring;
            ref var slot = ref ring[_c.Head & (ring.Length - 1)];
            if (slot.More)
                return ReadResult.Multipart;
            if (slot.Length > maxLength)
            {
                tooLargeLength = slot.Length;
                return ReadResult.TooLarge;
            }
            frame = slot;
            Forget(ref slot);
            wake = Consumed(frames: 1, messages: 1, frame.Length, inFlight: false);
        }
        if (wake)
            Writable.Set();
        return ReadResult.Message;
    }

    /// <summary>
    /// Takes the next whole message into <paramref name="into"/>. With <paramref name="singleFrameOnly"/> a
    /// multipart message is left queued and <see cref="ReadResult.Multipart"/> returned.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public ReadResult TryRead(List<Frame> into, bool singleFrameOnly = false)
    {
        bool wake;
        using (SpinGate.Hold(ref _c.ReaderLock))
        {
            if (!AnyQueued())
                return NothingQueued();
            var ring = _ring;
            var mask = ring.Length - 1;
            var head = _c.Head;
            if (singleFrameOnly && ring[head & mask].More)
                return ReadResult.Multipart;
            var count = 0;
            long bytes = 0;
            bool more;
            do
            {
                ref var slot = ref ring[(head + count++) & mask];
                more = slot.More;
                bytes += slot.Length;
                into.Add(slot);
                Forget(ref slot);
            }
            while (more);
            wake = Consumed(count, messages: 1, bytes, inFlight: false);
        }
        if (wake)
            Writable.Set();
        return ReadResult.Message;
    }

    /// <summary>
    /// Takes up to <paramref name="into"/>.Length frames at once (the engine's send loop: one look at the writer's
    /// position per batch), stopping once <paramref name="maxBytes"/> is reached (at least one frame is taken). A
    /// message may be split across two calls; whole messages taken count as in flight until <see cref="CompleteSent"/>.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public int TryReadFrames(Span<Frame> into, long maxBytes = long.MaxValue)
    {
        var count = 0;
        var wake = false;
        using (SpinGate.Hold(ref _c.ReaderLock))
        {
            if (!AnyQueued())
                return 0;
            var ring = _ring;
            var mask = ring.Length - 1;
            var head = _c.Head;
            var limit = (int)Math.Min(into.Length, _c.SeenTail - head);
            var whole = 0;
            long bytes = 0;
            while (count < limit && bytes < maxBytes)
            {
                ref var slot = ref ring[(head + count) & mask];
                into[count++] = slot;
                bytes += slot.Length;
                whole += slot.More ? 0 : 1;
                Forget(ref slot);
            }
            wake = Consumed(count, whole, bytes, inFlight: true);
        }
        if (wake)
            Writable.Set();
        return count;
    }

    /// <summary>The engine handed <paramref name="messages"/> messages taken with <see cref="TryReadFrames"/> to the OS.</summary>
    [MethodImpl(HotPath.Optimized)]
    public void CompleteSent(int messages)
    {
        using (SpinGate.Hold(ref _c.ReaderLock))
            Volatile.Write(ref _c.InFlight, _c.InFlight - messages);
        // Only a flush waits on this (the high-water mark counts queued messages, not sent ones).
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _c.WriterWaits) != 0 && Interlocked.Exchange(ref _c.WriterWaits, 0) != 0)
            Writable.Set();
    }

    /// <summary>Under the reader's lock: whether a frame is queued (the writer's line is read only when the cached look runs out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool AnyQueued()
    {
        var head = _c.Head;
        if (head != _c.SeenTail)
            return true;
        _c.SeenTail = Volatile.Read(ref _c.Tail);
        return head != _c.SeenTail;
    }

    /// <summary>
    /// Before a reader that found the pipe empty waits on <see cref="Readable"/> (having taken its version before
    /// that read): watches the writer's position for a short spin, then marks the reader as waiting and looks once
    /// more. True when it should wait; false when something arrived (or the writer closed): read again.
    /// The spin comes before the mark so that while the reader spins, the writer publishes without a wake-up: a
    /// reader that keeps up with a stream finds the pipe empty after nearly every message.
    /// With <paramref name="gather"/> (a reader that only receives, from a writer that publishes one message at a
    /// time: see <c>PairCore.OnlyReceiving</c>) it first pauses for about half a microsecond and lets a few messages
    /// gather: a reader that looks again at once takes them one at a time, dragging the writer's cache lines to its
    /// core and back for every message, which slows the writer more than the pause costs the reader. A pipe an
    /// engine fills gets batches anyway, so its reader never pauses.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public bool PrepareToWaitReadable(bool gather = false)
    {
        if (gather)
            Thread.SpinWait(GatherPause);
        var spinner = default(SpinWait);
        for (var i = 0; i < ReadSpinCount; i++)
        {
            if (Volatile.Read(ref _c.Tail) != Volatile.Read(ref _c.Head) || Volatile.Read(ref _c.Closed) != PipeCursors.Open)
                return false;
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        // Mark, then look once more: either the writer's fence after publishing sees the mark and sets Readable,
        // or this look sees the published frames (Dekker's handshake).
        Volatile.Write(ref _c.ReaderWaits, 1);
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _c.Tail) == Volatile.Read(ref _c.Head) && Volatile.Read(ref _c.Closed) == PipeCursors.Open;
    }

    /// <summary>
    /// Spin rounds before a reader marks itself waiting: SpinWait's pure-spin rounds (it yields from the 11th on;
    /// the signal's own wait then spins and yields). See docs/design-decisions.md, "Pipes without a shared lock".
    /// </summary>
    private const int ReadSpinCount = 10;

    /// <summary>
    /// The gathering pause, in <see cref="Thread.SpinWait"/> iterations: about half a microsecond. Longer gathers
    /// more but delays a stream's first message after a gap (see docs/design-decisions.md).
    /// </summary>
    private const int GatherPause = 32;

    /// <summary>Under the reader's lock, after <see cref="AnyQueued"/> found nothing: empty for now, or for good.</summary>
    [MethodImpl(HotPath.Optimized)]
    private ReadResult NothingQueued()
    {
        // Closing comes after the writer's last publish: a reader that sees it closed sees everything written.
        if (Volatile.Read(ref _c.Closed) == PipeCursors.Open)
            return ReadResult.Empty;
        return AnyQueued() ? ReadResult.Empty : ReadResult.Finished; // "empty": a last message arrived, read again
    }

    /// <summary>
    /// A taken slot drops its reference to a body's array (a stale reference would keep it alive); an inline
    /// frame has none, and leaving its slot alone spares writing a line the writer will write next.
    /// </summary>
    private static void Forget(ref Frame slot)
    {
        if (!slot.IsInline)
            slot = default;
    }

    /// <summary>
    /// Under the reader's lock: publishes that <paramref name="frames"/> frames (<paramref name="messages"/>
    /// whole messages, <paramref name="bytes"/> bytes) were taken. True when a waiting writer should be woken:
    /// as libzmq does, a writer held at the high-water mark resumes once the queue has drained to a low-water
    /// mark (half, or 1024 below a large mark), not after every read; a large read wakes it whatever the count.
    /// (A writer whose wait runs out still finds any room there is: it tries once more before giving up.)
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    private bool Consumed(int frames, int messages, long bytes, bool inFlight)
    {
        if (inFlight)
            Volatile.Write(ref _c.InFlight, _c.InFlight + messages);
        Volatile.Write(ref _c.Head, _c.Head + frames);
        Volatile.Write(ref _c.Read, _c.Read + messages);
        Interlocked.MemoryBarrier(); // against the writer's mark-then-look (see RoomFor)
        if (Volatile.Read(ref _c.WriterWaits) == 0)
            return false;
        var capacity = _c.Capacity;
        var lowWater = capacity > 2048 ? capacity - 1024 : (capacity + 1) / 2;
        if (capacity > 0 && Queued > lowWater && bytes < WakeEveryRead)
            return false;
        return Interlocked.Exchange(ref _c.WriterWaits, 0) != 0;
    }
}
