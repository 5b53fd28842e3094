using Expair.Internal;

namespace Expair.Core;

/// <summary>
/// One direction of a peer's double queue (31/EXPAIR): a bounded FIFO of whole messages, stored as frames in a
/// ring. The high-water mark counts messages, as libzmq's does. A message is published with all its frames at
/// once, so a reader that sees its first frame finds the rest. Both ends can wait for a change on the pipe's
/// signals.
/// <para>
/// Writers and readers do not share a lock: as libzmq's pipe, the writer fills slots and publishes its tail,
/// the reader takes slots and publishes its head, and each looks at the other's position only when it seems
/// to have run out (<see cref="PipeCursors"/>). Each side has its own small lock, so several senders or
/// receivers can still share a socket; the rare operations that change both ends take both.
/// </para>
/// </summary>
internal sealed partial class Pipe
{
    private PipeCursors _c;

    // Replaced only under both gates (growing), so either side reads it under its own.
    private Frame[] _ring = new Frame[16];

    /// <param name="capacity">High-water mark in messages; 0 means no limit.</param>
    /// <param name="writtenOneByOne">
    /// The writer is a sending thread that publishes one message at a time (inproc), not an engine that delivers
    /// what one socket read decoded at once: a reader that only receives then lets messages gather (see
    /// <see cref="PrepareToWaitReadable"/>).
    /// </param>
    public Pipe(int capacity, bool writtenOneByOne = false)
    {
        _c.Capacity = capacity;
        WrittenOneByOne = writtenOneByOne;
    }

    /// <summary>Whether the writer publishes one message at a time (inproc); see the constructor.</summary>
    public bool WrittenOneByOne { get; }

    /// <summary>
    /// Set when a message arrives for a reader that found the pipe empty and marked itself waiting with
    /// <see cref="PrepareToWaitReadable"/> (a reader that waits without that mark is not woken), or the writer closes.
    /// </summary>
    public Signal Readable { get; } = new();

    /// <summary>Set when room frees up for a writer that found the pipe full (or a flush), or the pipe is discarded.</summary>
    public Signal Writable { get; } = new();

    /// <summary>
    /// Asked on the writer's thread after a write that a waiting reader would be woken for: the engine of an idle
    /// connection writes the message to the socket right there instead of waking its send thread (one wake-up
    /// less per message).
    /// </summary>
    public IEagerReader? EagerReader
    {
        get => Volatile.Read(ref _eagerReader);
        set => Volatile.Write(ref _eagerReader, value);
    }

    private IEagerReader? _eagerReader;

    /// <summary>
    /// Asked on the reader's thread when it finds the pipe empty and is about to wait: the engine of an idle
    /// connection lets a blocked caller read the socket itself, so the message needs no hand-over between threads.
    /// </summary>
    public IEagerWriter? EagerWriter
    {
        get => Volatile.Read(ref _eagerWriter);
        set => Volatile.Write(ref _eagerWriter, value);
    }

    private IEagerWriter? _eagerWriter;

    /// <summary>Whole messages written since the pipe was made (any thread may look).</summary>
    public long MessagesWritten => Volatile.Read(ref _c.Written);

    /// <summary>Payload bytes of the whole messages written since the pipe was made (any thread may look).</summary>
    public long BytesWritten => Volatile.Read(ref _c.WrittenBytes);

    /// <summary>Whole messages taken since the pipe was made (any thread may look).</summary>
    public long MessagesRead => Volatile.Read(ref _c.Read);

    /// <summary>Whole messages queued (a message partly taken by a batch read still counts).</summary>
    public int Count
    {
        get
        {
            using (SpinGate.Hold(ref _c.ReaderLock))
                return Queued;
        }
    }

    /// <summary>True once the writer closed and every message was read, or the pipe was discarded.</summary>
    public bool IsFinished
    {
        get
        {
            using (SpinGate.Hold(ref _c.ReaderLock))
            {
                var closed = Volatile.Read(ref _c.Closed);
                return closed == PipeCursors.Discarded || (closed == PipeCursors.WriterClosed && Volatile.Read(ref _c.Tail) == _c.Head);
            }
        }
    }

    public bool IsWriterClosed => Volatile.Read(ref _c.Closed) != PipeCursors.Open;

    /// <summary>
    /// Discarded when nothing was queued or in flight: every message written to it had been handed over before its
    /// peer left (<see cref="PipeFlush"/> counts that as delivered).
    /// </summary>
    public bool IsDiscardedEmpty => Volatile.Read(ref _c.Closed) == PipeCursors.Discarded && _c.DiscardedEmpty == 1;

    /// <summary>Nothing queued and nothing in flight: what linger waits for (<see cref="PipeFlush"/>).</summary>
    public bool IsIdle
    {
        get
        {
            using (SpinGate.Hold(ref _c.ReaderLock))
                return Volatile.Read(ref _c.Closed) == PipeCursors.Discarded || (Queued == 0 && _c.InFlight == 0);
        }
    }

    /// <summary>
    /// <see cref="IsIdle"/>, and when not, asks the reader to set <see cref="Writable"/> on its next progress: a
    /// flush takes the signal's version, then calls this, then waits.
    /// </summary>
    public bool IsIdleElseWatch()
    {
        if (IsIdle)
            return true;
        Volatile.Write(ref _c.WriterWaits, 1);
        Interlocked.MemoryBarrier(); // against the reader's fence after it publishes progress (Consumed, CompleteSent)
        return IsIdle;
    }

    /// <summary>Messages queued; under the reader's lock (the writer's count only grows meanwhile).</summary>
    private int Queued => (int)(Volatile.Read(ref _c.Written) - _c.Read);

    /// <summary>Changes the high-water mark (inproc learns the binder's receive limit only when it binds).</summary>
    public void SetCapacity(int capacity)
    {
        using (SpinGate.Hold(ref _c.WriterLock))
            _c.Capacity = capacity;
        Writable.Set();
    }

    /// <summary>The writer is gone: what is queued stays readable, nothing more will come.</summary>
    public void CloseWriter()
    {
        using (SpinGate.Hold(ref _c.WriterLock))
        {
            if (_c.Closed == PipeCursors.Open)
                Volatile.Write(ref _c.Closed, PipeCursors.WriterClosed);
        }
        Readable.Set();
        Writable.Set();
    }

    /// <summary>Drops every queued message and refuses further writes (31/EXPAIR: a departed peer's queue is destroyed).</summary>
    public int Discard()
    {
        int dropped;
        using (SpinGate.Hold(ref _c.WriterLock))
        using (SpinGate.Hold(ref _c.ReaderLock)) // writer's first: the one order
        {
            dropped = Queued;
            var mask = _ring.Length - 1;
            for (var position = _c.Head; position < _c.Tail; position++)
            {
                _ring[position & mask].Release();
                _ring[position & mask] = default;
            }
            if (_c.Closed != PipeCursors.Discarded)
                _c.DiscardedEmpty = dropped == 0 && _c.InFlight == 0 ? 1 : 0; // published by the write of Closed below
            _c.Head = _c.SeenHead = _c.SeenTail = _c.Tail;
            _c.Read = _c.SeenRead = _c.Written;
            Volatile.Write(ref _c.Closed, PipeCursors.Discarded);
        }
        Readable.Set();
        Writable.Set();
        return dropped;
    }

    /// <summary>Puts frames taken by <see cref="TryReadFrames"/> back at the front, e.g. a message cut by a lost connection.</summary>
    public void Unread(ReadOnlySpan<Frame> frames)
    {
        if (frames.IsEmpty)
            return;
        using (SpinGate.Hold(ref _c.WriterLock))
        using (SpinGate.Hold(ref _c.ReaderLock)) // writer's first: the one order
        {
            if (_c.Closed == PipeCursors.Discarded)
            {
                foreach (var frame in frames)
                    frame.Release();
                return;
            }
            GrowLocked(_c.Tail, frames.Length);
            var mask = _ring.Length - 1;
            var head = _c.Head - frames.Length;
            var whole = 0;
            for (var i = 0; i < frames.Length; i++)
            {
                _ring[(head + i) & mask] = frames[i];
                whole += frames[i].More ? 0 : 1;
            }
            // Head moves back: the writer's cached look at it must too, or it would write over these slots.
            _c.Head = _c.SeenHead = head;
            _c.Read = _c.SeenRead = _c.Read - whole;
            _c.InFlight -= whole;
        }
        Readable.Set();
    }

    /// <summary>
    /// Makes room for <paramref name="extra"/> more frames after <paramref name="tail"/>, under both locks: the
    /// ring doubles until everything queued and the new frames fit. Slots keep their positions.
    /// </summary>
    private void GrowLocked(long tail, int extra)
    {
        var live = tail - _c.Head;
        if (live + extra <= _ring.Length)
            return;
        var size = _ring.Length;
        while (size < live + extra)
            size *= 2;
        var bigger = new Frame[size];
        var oldMask = _ring.Length - 1;
        for (var position = _c.Head; position < tail; position++)
            bigger[position & (size - 1)] = _ring[position & oldMask];
        _ring = bigger;
        _c.SeenHead = _c.Head;
    }

    /// <summary>
    /// Reads of this many bytes wake a waiting writer whatever the count: a wake-up costs microseconds, far less
    /// than moving the bytes, and a writer that refills one large buffer for each one read recycles pooled buffers
    /// instead of allocating half a queue of new ones after each wait.
    /// </summary>
    private const int WakeEveryRead = 32 * 1024;
}

internal enum WriteResult { Written, Full, Closed }

/// <summary>A reader that may take what was just written on the writer's own thread (see <see cref="Pipe.EagerReader"/>).</summary>
internal interface IEagerReader
{
    /// <summary>
    /// Called after <paramref name="message"/> was queued for a reader that found the pipe empty, outside the
    /// pipe's locks, before the pipe wakes that reader. True when the reader took everything queued and sent it
    /// whole: no wake-up is needed then. Must never throw.
    /// </summary>
    bool TryTakeNow(ReadOnlySpan<Frame> message);
}

/// <summary>A writer that may produce messages on the reader's own thread (see <see cref="Pipe.EagerWriter"/>).</summary>
internal interface IEagerWriter
{
    /// <summary>
    /// Called by a blocking reader that found the pipe empty. When the writer's source is free, reads it on this
    /// thread until a message is queued, <paramref name="readable"/> moves past <paramref name="seen"/>, the source
    /// fails or the deadline passes. True when the pipe is worth another look; false when the source was busy or
    /// nothing came in time (the reader then waits on the pipe as usual). Never throws: a failure is the writer's to report.
    /// </summary>
    bool TryFillNow(Signal readable, long seen, Deadline deadline);

    /// <summary>A reader that cannot read on its own thread (an async one) is about to wait: the writer's own thread takes over.</summary>
    void ResumeOwnReads();
}

internal enum ReadResult { Message, Empty, Finished, Multipart, TooLarge }
