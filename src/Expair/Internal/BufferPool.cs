using System.Runtime.CompilerServices;
namespace Expair.Internal;

/// <summary>
/// Buffers above <see cref="MinLength"/> bytes, up to <see cref="MaxLength"/>, in buckets <see cref="StepsPerOctave"/>
/// steps per power of two: with one step, powers of two; with four, a quarter of a power of two apart (80, 96, 112,
/// 128, 160 KiB …), so a buffer is at most 25 % longer than its frame and a queue of large messages costs about their
/// size (power-of-two buckets cost up to twice: 1 MiB for a 530 KB message).
/// A bucket keeps every buffer returned to it while traffic needs them — a sender ahead of its socket holds up
/// to a high-water mark of them in flight, hundreds of MiB at 1 MiB, and a pool that kept fewer turned most
/// rentals into fresh allocations (and, for large ones, gen-2 collections) — and gives back to the GC, every
/// <see cref="TrimInterval"/>, the buffers no rental needed during the last <see cref="TrimWindow"/> intervals, down
/// to <see cref="KeepBytes"/> per bucket. So a steady stream recycles (an occasional burst within the window finds
/// its buffers again), and memory at rest returns to a bounded amount (<see cref="KeepBytes"/> per bucket) within
/// <see cref="TrimWindow"/> + 1 intervals of the traffic ending.
/// </summary>
internal sealed class BufferPool
{
    private readonly Bucket[] _buckets;
    private readonly int _log2Steps;
    private readonly int _log2MinLength;
    private readonly Lock _timerGate = new();
    private Timer? _timer;

    /// <param name="minLength">Lengths above this come from the pool; a power of two.</param>
    /// <param name="maxLength">The largest pooled length; a power of two. Longer buffers are allocated exactly and dropped.</param>
    /// <param name="stepsPerOctave">Buckets per power of two: 1, 2 or 4.</param>
    /// <param name="keepBytes">Bytes per bucket that trimming leaves (as whole buffers: none in buckets of larger buffers).</param>
    /// <param name="trimInterval">How often unused buffers are given back; <see cref="Timeout.InfiniteTimeSpan"/>: only by <see cref="Trim"/>.</param>
    /// <param name="trimWindow">Trims a buffer must have gone unused through before one gives it back.</param>
    /// <param name="slack">
    /// Bytes every pooled buffer has beyond its bucket's length, so that a rental of a bucket's length plus up to this
    /// many bytes (a frame with its headroom) still takes that bucket.
    /// </param>
    public BufferPool(int minLength, int maxLength, int stepsPerOctave, int keepBytes, TimeSpan trimInterval, int trimWindow, int slack = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trimWindow, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(slack);
        if (stepsPerOctave is not (1 or 2 or 4))
            throw new ArgumentOutOfRangeException(nameof(stepsPerOctave), stepsPerOctave, "1, 2 or 4 buckets per power of two");
        StepsPerOctave = stepsPerOctave;
        _log2Steps = int.Log2(stepsPerOctave);
        _log2MinLength = int.Log2(minLength);
        TrimWindow = trimWindow;
        MinLength = minLength;
        MaxLength = maxLength;
        KeepBytes = keepBytes;
        TrimInterval = trimInterval;
        Slack = slack;
        _buckets = new Bucket[BucketIndex(maxLength) + 1];
        for (var i = 0; i < _buckets.Length; i++)
            _buckets[i] = new Bucket(BucketLength(i) + slack, keep: keepBytes / BucketLength(i), trimWindow);
    }

    public int MinLength { get; }

    public int MaxLength { get; }

    /// <summary>Bytes every pooled buffer has beyond its bucket's length.</summary>
    public int Slack { get; }

    public int StepsPerOctave { get; }

    public int KeepBytes { get; }

    public TimeSpan TrimInterval { get; }

    public int TrimWindow { get; }

    /// <summary>True while a timer will trim: some bucket held more than it keeps at the last return or trim.</summary>
    public bool TrimScheduled
    {
        get
        {
            lock (_timerGate)
                return _timer is not null;
        }
    }

    /// <summary>Buffers the pool holds now, all buckets together.</summary>
    public int Held => _buckets.Sum(bucket => bucket.Count);

    /// <summary>A buffer of at least <paramref name="length"/> bytes (above <see cref="MinLength"/>); its contents are undefined.</summary>
    [MethodImpl(HotPath.Optimized)]
    public byte[] Rent(int length)
    {
        if (length > MaxLength + Slack)
            return GC.AllocateUninitializedArray<byte>(length);
        var bucket = _buckets[BucketIndex(Math.Max(length - Slack, MinLength + 1))];
        return bucket.TryPop() ?? GC.AllocateUninitializedArray<byte>(bucket.Length);
    }

    /// <summary>Takes back a buffer from <see cref="Rent"/>; one of a length no bucket has is left to the GC.</summary>
    [MethodImpl(HotPath.Optimized)]
    public void Return(byte[] array)
    {
        if (array.Length > MaxLength + Slack || array.Length <= MinLength + Slack)
            return;
        var bucket = _buckets[BucketIndex(array.Length - Slack)];
        if (bucket.Length != array.Length)
            return; // not one of ours
        if (bucket.Push(array) > bucket.Keep)
            ScheduleTrim();
    }

    /// <summary>
    /// Ends an interval: gives back, in each bucket, the buffers no rental took during the last
    /// <see cref="TrimWindow"/> intervals (the fewest the bucket held in that time), keeping <see cref="KeepBytes"/>
    /// of them. Returns how many it gave back.
    /// </summary>
    public int Trim()
    {
        var dropped = 0;
        var surplus = false;
        foreach (var bucket in _buckets)
        {
            dropped += bucket.TrimUnused();
            surplus |= bucket.Count > bucket.Keep;
        }
        if (!surplus)
            StopTrimming();
        return dropped;
    }

    /// <summary>
    /// The bucket for a length: octave o holds lengths in (2^o, 2^(o+1)], split in s = <see cref="StepsPerOctave"/>
    /// steps of 2^o / s; the first octave is the one above <see cref="MinLength"/>.
    /// </summary>
    private int BucketIndex(int length)
    {
        var octave = 31 - int.LeadingZeroCount(length - 1); // 2^octave < length <= 2^(octave + 1)
        var stepShift = octave - _log2Steps; // a step is 2^stepShift: shifts, not divisions, on every rental
        var part = (length - (1 << octave) + (1 << stepShift) - 1) >> stepShift; // 1..s
        return Math.Max(0, ((octave - _log2MinLength) << _log2Steps) + part - 1);
    }

    /// <summary>Bucket i of octave i / s holds buffers of MinLength × 2^(i / s) × (s + 1 + i % s) / s.</summary>
    private int BucketLength(int index) => (MinLength << (index / StepsPerOctave)) / StepsPerOctave * (StepsPerOctave + 1 + index % StepsPerOctave);

    [MethodImpl(HotPath.Optimized)]
    private void ScheduleTrim()
    {
        if (TrimInterval == Timeout.InfiniteTimeSpan || Volatile.Read(ref _timer) is not null)
            return;
        lock (_timerGate)
        {
            // Not captured by the flow of the caller that happened to return a buffer: the timer belongs to the pool.
            using (ExecutionContext.SuppressFlow())
                _timer ??= new Timer(static pool => ((BufferPool)pool!).Trim(), this, TrimInterval, TrimInterval);
        }
    }

    private void StopTrimming()
    {
        lock (_timerGate)
        {
            // A return may have pushed a bucket over its keep again since the trim looked: it reschedules after this.
            _timer?.Dispose();
            _timer = null;
        }
        foreach (var bucket in _buckets)
        {
            if (bucket.Count > bucket.Keep)
            {
                ScheduleTrim();
                return;
            }
        }
    }

    /// <summary>
    /// Buffers of one length, last in first out (the most recently used are the likeliest still in cache). A rental
    /// and a return each hold the bucket's gate for a few instructions (a compare-and-swap to enter, a plain store to
    /// leave); only growing the stack and trimming hold it longer.
    /// </summary>
    private sealed class Bucket(int length, int keep, int window)
    {
        private int _gate;
        private readonly int[] _fewestPerInterval = new int[window]; // of the last intervals; none known yet: 0
        private byte[]?[] _items = new byte[]?[16];
        private int _count;
        private int _fewestSinceTrim; // the fewest held in the current interval: that many were not needed in it
        private int _intervals;

        public int Length { get; } = length;

        /// <summary>Buffers trimming leaves.</summary>
        public int Keep { get; } = keep;

        public int Count => Volatile.Read(ref _count);

        [MethodImpl(HotPath.Optimized)]
        public byte[]? TryPop()
        {
            using (SpinGate.Hold(ref _gate))
            {
                if (_count == 0)
                    return null;
                var array = _items[--_count];
                _items[_count] = null;
                _fewestSinceTrim = Math.Min(_fewestSinceTrim, _count);
                return array;
            }
        }

        /// <summary>Returns how many the bucket holds now.</summary>
        [MethodImpl(HotPath.Optimized)]
        public int Push(byte[] array)
        {
            using (SpinGate.Hold(ref _gate))
            {
                if (_count == _items.Length)
                    Array.Resize(ref _items, _items.Length * 2);
                _items[_count] = array;
                return ++_count;
            }
        }

        public int TrimUnused()
        {
            using (SpinGate.Hold(ref _gate))
            {
                _fewestPerInterval[_intervals++ % _fewestPerInterval.Length] = _fewestSinceTrim;
                // Unused buffers sit at the bottom of the stack (rentals take from the top): the fewest held in every
                // interval of the window are the ones no rental reached in any.
                var drop = Math.Max(0, Math.Min(_fewestPerInterval.Min(), _count - Keep));
                if (drop > 0)
                {
                    Array.Copy(_items, drop, _items, 0, _count - drop);
                    Array.Clear(_items, _count - drop, drop);
                    _count -= drop;
                    for (var i = 0; i < _fewestPerInterval.Length; i++)
                        _fewestPerInterval[i] -= drop; // the same buffers stayed unused: each interval's fewest counted them
                }
                _fewestSinceTrim = _count;
                return drop;
            }
        }
    }
}
