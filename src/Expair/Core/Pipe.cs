using Expair.Internal;

namespace Expair.Core;

/// <summary>
/// One direction of a peer's double queue (31/EXPAIR): a bounded FIFO of whole messages, stored as frames.
/// The high-water mark counts messages, as libzmq's does. A message is written with all its frames at once,
/// so a reader that sees its first frame finds the rest. Both ends can wait for a change on the pipe's signals.
/// </summary>
internal sealed class Pipe
{
    private readonly Lock _lock = new();
    private Frame[] _ring = new Frame[16];
    private int _head;
    private int _frames;
    private int _messages;
    private int _capacity;
    private int _inFlight; // messages a reader took but has not yet reported sent
    private bool _writerClosed;
    private bool _discarded;
    // Who waits: a reader that found the pipe empty, a writer that found it full (or a flush waiting for it to
    // empty). The other side sets the signal only then, not on every message: a signal's version is read by
    // every send and receive, and bumping it each time would drag its cache line between cores per message.
    private bool _readerWaits;
    private bool _writerWaits;

    /// <param name="capacity">High-water mark in messages; 0 means no limit.</param>
    public Pipe(int capacity) => _capacity = capacity;

    /// <summary>Set when a message arrives or the writer closes.</summary>
    public Signal Readable { get; } = new();

    /// <summary>Set when room frees up or the pipe is discarded.</summary>
    public Signal Writable { get; } = new();

    /// <summary>
    /// Asked on the writer's thread after a <see cref="TryWrite"/> into an empty pipe: the engine of an idle connection
    /// writes the message to the socket right there instead of waking its send thread (one wake-up less per message).
    /// </summary>
    public IEagerReader? EagerReader
    {
        get => Volatile.Read(ref _eagerReader);
        set => Volatile.Write(ref _eagerReader, value);
    }

    private IEagerReader? _eagerReader;

    public int Count
    {
        get { lock (_lock) return _messages; }
    }

    /// <summary>True once the writer closed and every message was read, or the pipe was discarded.</summary>
    public bool IsFinished
    {
        get { lock (_lock) return _discarded || (_writerClosed && _messages == 0); }
    }

    public bool IsWriterClosed
    {
        get { lock (_lock) return _writerClosed || _discarded; }
    }

    /// <summary>Changes the high-water mark (inproc learns the binder's receive limit only when it binds).</summary>
    public void SetCapacity(int capacity)
    {
        lock (_lock)
            _capacity = capacity;
        Writable.Set();
    }

    /// <summary>
    /// Queues one whole message. On <see cref="WriteResult.Written"/> the pipe owns the frames; otherwise the
    /// caller still does. <paramref name="force"/> ignores the high-water mark (used to roll a message back in).
    /// </summary>
    public WriteResult TryWrite(ReadOnlySpan<Frame> message, bool force = false)
    {
        int queued;
        bool wake;
        lock (_lock)
        {
            if (_discarded || _writerClosed)
                return WriteResult.Closed;
            if (!force && _capacity > 0 && _messages >= _capacity)
            {
                _writerWaits = true;
                return WriteResult.Full;
            }
            EnsureRoom(message.Length);
            for (var i = 0; i < message.Length; i++)
                _ring[(_head + _frames + i) & (_ring.Length - 1)] = message[i].WithMore(i < message.Length - 1);
            _frames += message.Length;
            queued = ++_messages;
            wake = _readerWaits;
        }
        // An eager reader that wrote the message out at once (it is asked only for a write into an empty pipe)
        // leaves the sleeping reader asleep, still marked as waiting.
        if (queued == 1 && EagerReader?.TryTakeNow(message) == true)
            return WriteResult.Written;
        if (wake)
        {
            // Cleared outside the lock but before the Set: a reader that marks itself waiting in between took its
            // version before that, so the Set below still ends its wait.
            Volatile.Write(ref _readerWaits, false);
            Readable.Set();
        }
        return WriteResult.Written;
    }

    /// <summary>
    /// Queues as many whole messages from <paramref name="frames"/> (frames carry their MORE flags) as the
    /// high-water mark allows, under one lock and with one wake-up: the engine delivers everything one socket
    /// read decoded at once. Returns how many frames were taken; the caller keeps the rest.
    /// </summary>
    public int TryWriteMessages(ReadOnlySpan<Frame> frames, out WriteResult result)
    {
        var taken = 0;
        bool wake;
        lock (_lock)
        {
            if (_discarded || _writerClosed)
            {
                result = WriteResult.Closed;
                return 0;
            }
            var room = _capacity > 0 ? _capacity - _messages : int.MaxValue;
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
                EnsureRoom(taken);
                var mask = _ring.Length - 1;
                var tail = _head + _frames;
                for (var i = 0; i < taken; i++)
                    _ring[(tail + i) & mask] = frames[i];
                _frames += taken;
                _messages += messages;
            }
            result = taken == frames.Length ? WriteResult.Written : WriteResult.Full;
            _writerWaits |= result == WriteResult.Full;
            wake = taken > 0 && _readerWaits;
            if (wake)
                _readerWaits = false;
        }
        if (wake)
            Readable.Set();
        return taken;
    }

    /// <summary>
    /// Takes the next message when it is a single frame of at most <paramref name="maxLength"/> bytes; otherwise
    /// leaves it queued and says why (<see cref="ReadResult.Multipart"/>, or <see cref="ReadResult.TooLarge"/> with its length).
    /// </summary>
    public ReadResult TryReadSingle(int maxLength, out Frame frame, out int tooLargeLength)
    {
        bool wake;
        lock (_lock)
        {
            frame = default;
            tooLargeLength = 0;
            if (_messages == 0)
                return Empty();
            var head = _ring[_head];
            if (head.More)
                return ReadResult.Multipart;
            if (head.Length > maxLength)
            {
                tooLargeLength = head.Length;
                return ReadResult.TooLarge;
            }
            frame = head;
            _ring[_head] = default;
            _head = (_head + 1) & (_ring.Length - 1);
            _frames--;
            _messages--;
            wake = WakeWriter(head.Length);
        }
        if (wake)
            Writable.Set();
        return ReadResult.Message;
    }

    /// <summary>
    /// Takes the next whole message into <paramref name="into"/>. With <paramref name="singleFrameOnly"/> a
    /// multipart message is left queued and <see cref="ReadResult.Multipart"/> returned.
    /// </summary>
    public ReadResult TryRead(List<Frame> into, bool singleFrameOnly = false)
    {
        bool wake;
        lock (_lock)
        {
            if (_messages == 0)
                return Empty();
            if (singleFrameOnly && _ring[_head].More)
                return ReadResult.Multipart;
            Frame frame;
            long bytes = 0;
            do
            {
                frame = _ring[_head];
                _ring[_head] = default;
                _head = (_head + 1) & (_ring.Length - 1);
                _frames--;
                bytes += frame.Length;
                into.Add(frame);
            }
            while (frame.More);
            _messages--;
            wake = WakeWriter(bytes);
        }
        if (wake)
            Writable.Set();
        return ReadResult.Message;
    }

    /// <summary>
    /// Takes up to <paramref name="into"/>.Length frames at once (the engine's send loop: one lock per batch, not
    /// per frame), stopping once <paramref name="maxBytes"/> is reached (at least one frame is taken). A message may be split across two calls; whole messages taken count as in flight until
    /// <see cref="CompleteSent"/>.
    /// </summary>
    public int TryReadFrames(Span<Frame> into, long maxBytes = long.MaxValue)
    {
        var count = 0;
        bool wake;
        lock (_lock)
        {
            var limit = Math.Min(into.Length, _frames);
            var mask = _ring.Length - 1;
            var whole = 0;
            long bytes = 0;
            while (count < limit && bytes < maxBytes)
            {
                ref var slot = ref _ring[(_head + count) & mask];
                into[count++] = slot;
                bytes += slot.Length;
                whole += slot.More ? 0 : 1;
                slot = default;
            }
            _head = (_head + count) & mask;
            _frames -= count;
            _messages -= whole;
            _inFlight += whole;
            if (count == 0)
                _readerWaits = true;
            wake = count > 0 && WakeWriter(bytes);
        }
        if (wake)
            Writable.Set();
        return count;
    }

    /// <summary>The engine handed <paramref name="messages"/> messages taken with <see cref="TryReadFrames"/> to the OS.</summary>
    public void CompleteSent(int messages)
    {
        bool wake;
        lock (_lock)
        {
            _inFlight -= messages;
            wake = _writerWaits; // only a flush waits on this (the high-water mark counts queued messages)
            _writerWaits = false;
        }
        if (wake)
            Writable.Set();
    }

    /// <summary>Nothing queued and nothing in flight: what linger waits for (<see cref="PipeFlush"/>).</summary>
    public bool IsIdle
    {
        get { lock (_lock) return IdleLocked; }
    }

    /// <summary>
    /// <see cref="IsIdle"/>, and when not, asks the reader to set <see cref="Writable"/> on its next progress: a
    /// flush takes the signal's version, then calls this, then waits.
    /// </summary>
    public bool IsIdleElseWatch()
    {
        lock (_lock)
        {
            if (IdleLocked)
                return true;
            _writerWaits = true;
            return false;
        }
    }

    private bool IdleLocked => _discarded || (_messages == 0 && _inFlight == 0);

    /// <summary>Puts frames taken by <see cref="TryReadFrames"/> back at the front, e.g. a message cut by a lost connection.</summary>
    public void Unread(ReadOnlySpan<Frame> frames)
    {
        if (frames.IsEmpty)
            return;
        lock (_lock)
        {
            if (_discarded)
            {
                foreach (var frame in frames)
                    frame.Release();
                return;
            }
            EnsureRoom(frames.Length);
            for (var i = frames.Length - 1; i >= 0; i--)
            {
                _head = (_head - 1) & (_ring.Length - 1);
                _ring[_head] = frames[i];
            }
            _frames += frames.Length;
            var whole = 0;
            foreach (var frame in frames)
                whole += frame.More ? 0 : 1;
            _messages += whole;
            _inFlight -= whole;
        }
        Readable.Set();
    }

    /// <summary>The writer is gone: what is queued stays readable, nothing more will come.</summary>
    public void CloseWriter()
    {
        lock (_lock)
            _writerClosed = true;
        Readable.Set();
        Writable.Set();
    }

    /// <summary>Drops every queued message and refuses further writes (31/EXPAIR: a departed peer's queue is destroyed).</summary>
    public int Discard()
    {
        int dropped;
        lock (_lock)
        {
            dropped = _messages;
            _discarded = true;
            while (_frames > 0)
            {
                _ring[_head].Release();
                _ring[_head] = default;
                _head = (_head + 1) & (_ring.Length - 1);
                _frames--;
            }
            _messages = 0;
        }
        Readable.Set();
        Writable.Set();
        return dropped;
    }

    /// <summary>
    /// Reads of this many bytes wake a waiting writer whatever the count: a wake-up costs microseconds, far less
    /// than moving the bytes, and a writer that refills one large buffer for each one read recycles pooled buffers
    /// instead of allocating half a queue of new ones after each wait.
    /// </summary>
    private const int WakeEveryRead = 32 * 1024;

    /// <summary>
    /// Whether a read should wake a writer waiting for room. As libzmq does, a writer held at the high-water
    /// mark resumes once the queue has drained to a low-water mark (half, or 1024 below a large mark), not after
    /// every read: one wake-up per batch of messages instead of one per message while the reader keeps up.
    /// (A writer whose wait runs out still finds any room there is: it tries once more before giving up.)
    /// </summary>
    private ReadResult Empty()
    {
        if (_writerClosed || _discarded)
            return ReadResult.Finished;
        _readerWaits = true;
        return ReadResult.Empty;
    }

    /// <summary>After a read of <paramref name="bytes"/>, under the lock: whether to wake a waiting writer (and forget it waits).</summary>
    private bool WakeWriter(long bytes)
    {
        if (!_writerWaits || !(BelowLowWater || bytes >= WakeEveryRead))
            return false;
        _writerWaits = false;
        return true;
    }

    private bool BelowLowWater =>
        _capacity == 0 || _messages <= (_capacity > 2048 ? _capacity - 1024 : (_capacity + 1) / 2);

    private void EnsureRoom(int extra)
    {
        if (_frames + extra <= _ring.Length)
            return;
        var size = _ring.Length;
        while (size < _frames + extra)
            size *= 2;
        var bigger = new Frame[size];
        for (var i = 0; i < _frames; i++)
            bigger[i] = _ring[(_head + i) & (_ring.Length - 1)];
        _ring = bigger;
        _head = 0;
    }
}

internal enum WriteResult { Written, Full, Closed }

/// <summary>A reader that may take what was just written on the writer's own thread (see <see cref="Pipe.EagerReader"/>).</summary>
internal interface IEagerReader
{
    /// <summary>
    /// Called after <paramref name="message"/> was queued into an empty pipe, outside the pipe's lock, before the
    /// pipe wakes its reader. True when the reader took the message and sent it whole: no wake-up is needed then.
    /// Must never throw.
    /// </summary>
    bool TryTakeNow(ReadOnlySpan<Frame> message);
}

internal enum ReadResult { Message, Empty, Finished, Multipart, TooLarge }
