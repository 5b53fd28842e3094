using System.Runtime.CompilerServices;
using Expair.Internal;

namespace Expair.Core;

/// <summary>The writer's side: under its own lock, touching the reader's positions only when it seems to run out.</summary>
internal sealed partial class Pipe
{
    /// <summary>
    /// Queues one whole message. On <see cref="WriteResult.Written"/> the pipe owns the frames; otherwise the
    /// caller still does. <paramref name="force"/> ignores the high-water mark (used to roll a message back in).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public WriteResult TryWrite(ReadOnlySpan<Frame> message, bool force = false)
    {
        bool wake;
        using (SpinGate.Hold(ref _c.WriterLock))
        {
            if (Volatile.Read(ref _c.Closed) != PipeCursors.Open)
                return WriteResult.Closed;
            if (!force && RoomFor(1) == 0)
                return WriteResult.Full;
            var tail = _c.Tail;
            var ring = Reserve(tail, message.Length);
            var mask = ring.Length - 1;
            long bytes = 0;
            for (var i = 0; i < message.Length; i++)
            {
                // The flag is usually right already: then one 80-byte copy, not two.
                ref readonly var frame = ref message[i];
                var more = i < message.Length - 1;
                ring[(tail + i) & mask] = frame.More == more ? frame : frame.WithMore(more);
                bytes += frame.Length;
            }
            wake = Publish(tail + message.Length, 1, bytes);
        }
        if (wake)
            WakeReader(message);
        return WriteResult.Written;
    }

    /// <summary>
    /// Queues as many whole messages from <paramref name="frames"/> (frames carry their MORE flags) as the
    /// high-water mark allows, published at once with at most one wake-up: the engine delivers everything one
    /// socket read decoded at once. Returns how many frames were taken; the caller keeps the rest.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public int TryWriteMessages(ReadOnlySpan<Frame> frames, out WriteResult result)
    {
        var taken = 0;
        var wake = false;
        using (SpinGate.Hold(ref _c.WriterLock))
        {
            if (Volatile.Read(ref _c.Closed) != PipeCursors.Open)
            {
                result = WriteResult.Closed;
                return 0;
            }
            var wanted = 0;
            foreach (var frame in frames)
                wanted += frame.More ? 0 : 1;
            var room = RoomFor(wanted);
            var messages = 0;
            for (var i = 0; i < frames.Length && messages < room; i++)
            {
                if (!frames[i].More)
                {
                    messages++;
                    taken = i + 1;
                }
            }
            if (taken > 0)
            {
                var tail = _c.Tail;
                var ring = Reserve(tail, taken);
                var mask = ring.Length - 1;
                long bytes = 0;
                for (var i = 0; i < taken; i++)
                {
                    ring[(tail + i) & mask] = frames[i];
                    bytes += frames[i].Length;
                }
                wake = Publish(tail + taken, messages, bytes);
            }
            result = taken == frames.Length ? WriteResult.Written : WriteResult.Full;
        }
        if (wake && Interlocked.Exchange(ref _c.ReaderWaits, 0) != 0)
            Readable.Set();
        return taken;
    }

    /// <summary>
    /// Under the writer's lock: how many of <paramref name="wanted"/> messages fit under the high-water mark.
    /// When fewer do, the writer is marked as waiting first, so a read that frees room after this look sets
    /// <see cref="Writable"/>.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    private int RoomFor(int wanted)
    {
        var capacity = _c.Capacity;
        if (capacity <= 0)
            return wanted;
        var room = capacity - (int)(_c.Written - _c.SeenRead);
        if (room >= wanted)
            return wanted;
        _c.SeenRead = Volatile.Read(ref _c.Read);
        room = capacity - (int)(_c.Written - _c.SeenRead);
        if (room >= wanted)
            return wanted;
        // Mark, then look once more: either the reader's fence after its progress sees the mark, or this look
        // sees that progress (Dekker's handshake; both sides fence between their write and their read).
        Volatile.Write(ref _c.WriterWaits, 1);
        Interlocked.MemoryBarrier();
        _c.SeenRead = Volatile.Read(ref _c.Read);
        return Math.Clamp(capacity - (int)(_c.Written - _c.SeenRead), 0, wanted);
    }

    /// <summary>Under the writer's lock: the ring, with room for <paramref name="count"/> frames after <paramref name="tail"/>.</summary>
    [MethodImpl(HotPath.Optimized)]
    private Frame[] Reserve(long tail, int count)
    {
        var ring = _ring;
        if (tail + count - _c.SeenHead <= ring.Length)
            return ring;
        _c.SeenHead = Volatile.Read(ref _c.Head);
        if (tail + count - _c.SeenHead <= ring.Length)
            return ring;
        using (SpinGate.Hold(ref _c.ReaderLock)) // writer's lock, then reader's: the one order
        {
            GrowLocked(tail, count);
            return _ring;
        }
    }

    /// <summary>Under the writer's lock: makes the frames up to <paramref name="tail"/> visible; true when a reader waits for them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Publish(long tail, int messages, long bytes)
    {
        Volatile.Write(ref _c.Tail, tail); // after the slots: a reader that sees the tail sees them
        Volatile.Write(ref _c.Written, _c.Written + messages);
        Volatile.Write(ref _c.WrittenBytes, _c.WrittenBytes + bytes); // on the writer's own line: no extra sharing
        Interlocked.MemoryBarrier(); // against the reader's mark-then-look (see AnyQueued)
        return Volatile.Read(ref _c.ReaderWaits) != 0;
    }

    /// <summary>
    /// A reader found the pipe empty before this write. An eager reader that writes the message out at once leaves
    /// the sleeping reader asleep, still marked; otherwise the mark is cleared before the Set, so a reader that
    /// marks itself again in between took its version before that and the Set still ends its wait.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    private void WakeReader(ReadOnlySpan<Frame> message)
    {
        if (EagerReader?.TryTakeNow(message) == true)
            return;
        if (Interlocked.Exchange(ref _c.ReaderWaits, 0) != 0)
            Readable.Set();
    }
}
