using System.Runtime.InteropServices;

namespace Expair.Core;

/// <summary>
/// A pipe's positions and counters, grouped by who writes them and kept 128 bytes apart (a cache line and the
/// one the CPU prefetches with it): the writer's group, the reader's group, and the rarely written flags. Each
/// side then works on lines the other side only reads now and then, instead of dragging one shared line (a lock,
/// a count) between cores on every message. Positions count frames ever written / taken and only grow (except
/// when a message is put back at the front), so a slot is <c>position &amp; (ring length - 1)</c>.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 512)]
internal struct PipeCursors
{
    // --- written by writers only, under WriterLock ---
    [FieldOffset(128)] public int WriterLock;

    /// <summary>Frames ever written; published after a whole message's frames, so a reader never sees part of one.</summary>
    [FieldOffset(136)] public long Tail;

    /// <summary>Whole messages ever written.</summary>
    [FieldOffset(144)] public long Written;

    /// <summary>The writer's last look at <see cref="Head"/>: it reads the reader's line only when the ring seems full.</summary>
    [FieldOffset(152)] public long SeenHead;

    /// <summary>The writer's last look at <see cref="Read"/>: it reads the reader's line only at the high-water mark.</summary>
    [FieldOffset(160)] public long SeenRead;

    /// <summary>High-water mark in messages; 0 means none.</summary>
    [FieldOffset(168)] public int Capacity;

    /// <summary>Payload bytes of the whole messages ever written (metrics read it; see <see cref="Written"/>).</summary>
    [FieldOffset(176)] public long WrittenBytes;

    // --- written by readers only, under ReaderLock ---
    [FieldOffset(256)] public int ReaderLock;

    /// <summary>Frames ever taken.</summary>
    [FieldOffset(264)] public long Head;

    /// <summary>Whole messages ever taken (a message counts once its last frame is taken).</summary>
    [FieldOffset(272)] public long Read;

    /// <summary>Messages a batch read took but the engine has not yet reported sent.</summary>
    [FieldOffset(280)] public long InFlight;

    /// <summary>The reader's last look at <see cref="Tail"/>: it reads the writer's line only when it runs out.</summary>
    [FieldOffset(288)] public long SeenTail;

    // --- rarely written: who waits, and whether the pipe is closed ---
    /// <summary>1 when a reader found the pipe empty: the next write sets Readable.</summary>
    [FieldOffset(384)] public int ReaderWaits;

    /// <summary>1 when a writer found the pipe full or a flush waits for it to empty: reads set Writable.</summary>
    [FieldOffset(388)] public int WriterWaits;

    /// <summary><see cref="Open"/>, <see cref="WriterClosed"/> (what is queued stays readable) or <see cref="Discarded"/>.</summary>
    [FieldOffset(392)] public int Closed;

    /// <summary>1 when <see cref="Pipe.Discard"/> found nothing queued or in flight: all written had been handed over.</summary>
    [FieldOffset(396)] public int DiscardedEmpty;

    public const int Open = 0;
    public const int WriterClosed = 1;
    public const int Discarded = 2;
}
