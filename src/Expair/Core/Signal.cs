using System.Runtime.CompilerServices;
using Expair.Internal;

namespace Expair.Core;

/// <summary>
/// A "something changed" event that both blocking and async callers can wait on. A caller takes
/// <see cref="Version"/>, checks its condition, and if it must wait calls <see cref="Wait"/> or
/// <see cref="WaitAsync"/> with that version: the wait ends as soon as the version moves on.
/// <see cref="Set"/> costs one interlocked increment when nobody waits, so the hot path stays cheap.
/// </summary>
internal sealed class Signal : ISignalProbe
{
    private readonly object _lock = new(); // object, not Lock: waits use Monitor.Wait where there is no futex

    // The version lives in pinned memory so a blocking wait can sleep on it with a futex (its low 32 bits change
    // with every increment): the kernel then checks "still unchanged?" and sleeps in one step. It sits in the middle
    // of 128 bytes of its own: signals created together (a pipe's Readable and Writable) would otherwise share a
    // cache line, and a thread spinning on one would drag that line away from the thread using the other.
    private const int CellIndex = 8;
    private readonly long[] _cell = GC.AllocateArray<long>(2 * CellIndex, pinned: true);
    private int _waiters;
    private TaskCompletionSource? _asyncWaiters;

    /// <summary>
    /// SpinWait rounds before a wait sleeps: the other side usually moves within microseconds
    /// (docs/design-decisions.md, "Spin, then sleep on a futex").
    /// </summary>
    internal const int SpinCount = 30;

    /// <summary>
    /// A sleep at least this long means the spin before it could not have paid (it lasts tens of microseconds at
    /// most) and only took a core from the threads doing the work, so the next spin is halved.
    /// </summary>
    internal static readonly long LongSleepTicks = System.Diagnostics.Stopwatch.Frequency / 10_000; // 100 µs

    /// <summary>
    /// The most spin rounds a wait makes: after short sleeps the spin grows to this, so a reader whose messages
    /// come a little further apart than the default spin stops sleeping between them and its writer stops paying
    /// a wake-up for each. More would keep the reader of a slow stream spinning between all its messages.
    /// </summary>
    internal const int MaxSpinCount = 2 * SpinCount;

    /// <summary>
    /// Spin rounds the next wait makes: halved after each long sleep, doubled after a short one (from at least
    /// <see cref="SpinCount"/>, up to <see cref="MaxSpinCount"/>).
    /// </summary>
    private int _spinRounds = SpinCount;

    private ref long VersionCell => ref _cell[CellIndex];

    /// <summary>
    /// A plain load where a 64-bit one is atomic (every 64-bit process): <c>Interlocked.Read</c> is a
    /// locked compare-exchange, which takes the line exclusively on every look, from the writer and from other readers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long ReadVersion() => IntPtr.Size == 8 ? Volatile.Read(ref VersionCell) : Interlocked.Read(ref VersionCell);

    /// <summary>The version's low half, the word a futex sleeps on (the array is pinned; little-endian).</summary>
    private unsafe int* FutexWord => (int*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref VersionCell);

    public long Version => ReadVersion();

    /// <summary>True when a blocking wait sleeps on a futex (the Linux path), false when it uses <see cref="Monitor"/>.</summary>
    internal static bool SleepsOnFutex => Futex.IsSupported;

    /// <summary>Waiters past their spin, asleep or about to sleep: a caller writes directly only while the send thread waits.</summary>
    public int Waiters => Volatile.Read(ref _waiters);

    [MethodImpl(HotPath.Optimized)]
    public unsafe void Set()
    {
        Interlocked.Increment(ref VersionCell);
        // The increment above is a full fence, so a waiter that registered before it is seen here,
        // and one that registers after it sees the new version.
        if (Volatile.Read(ref _waiters) == 0)
            return;
        if (Futex.IsSupported)
            Futex.WakeAll(FutexWord);
        TaskCompletionSource? waiters;
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
            waiters = _asyncWaiters;
            _asyncWaiters = null;
        }
        waiters?.TrySetResult();
    }

    /// <summary>
    /// The other side usually moves within microseconds: a short spin saves a sleep and a wake-up, which cost far
    /// more (a futex and a reschedule, or a thread-pool hop). SpinWait yields rather than burn a shared core.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    private bool SpinUntilChanged(long seen)
    {
        var spinner = default(SpinWait);
        var rounds = Volatile.Read(ref _spinRounds); // a racy hint shared by this signal's waiters: any value is safe
        for (var i = 0; i < rounds; i++)
        {
            if (ReadVersion() != seen)
                return true;
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        return false;
    }

    /// <summary>Blocks until the version differs from <paramref name="seen"/>; false when the deadline passed first.</summary>
    [MethodImpl(HotPath.Optimized)]
    public bool Wait(long seen, Deadline deadline, CancellationToken cancellationToken = default)
    {
        if (SpinUntilChanged(seen))
            return true;
        // A futex needs no lock: the kernel checks "still unchanged?" as it puts the thread to sleep.
        var useMonitor = !Futex.IsSupported;
        if (useMonitor)
            Monitor.Enter(_lock);
        Interlocked.Increment(ref _waiters);
        var asleepSince = System.Diagnostics.Stopwatch.GetTimestamp(); // only on the sleeping path
        try
        {
            while (ReadVersion() == seen)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var remaining = deadline.Remaining;
                if (remaining == TimeSpan.Zero)
                    return false;
                Sleep(seen, Slice(remaining, cancellationToken), useMonitor);
            }
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
            if (useMonitor)
                Monitor.Exit(_lock);
            AdaptSpin(System.Diagnostics.Stopwatch.GetTimestamp() - asleepSince);
        }
    }

    /// <summary>
    /// After a wait that slept <paramref name="sleptTicks"/>: spin less before waits that take long, longer before
    /// short ones (the spin just missed what came soon after it).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal void AdaptSpin(long sleptTicks)
    {
        var rounds = Volatile.Read(ref _spinRounds);
        Volatile.Write(ref _spinRounds, sleptTicks >= LongSleepTicks ? rounds / 2 : Math.Clamp(rounds * 2, SpinCount, MaxSpinCount));
    }

    int ISignalProbe.SpinRounds => Volatile.Read(ref _spinRounds);

    private unsafe void Sleep(long seen, TimeSpan slice, bool useMonitor)
    {
        if (useMonitor)
            Monitor.Wait(_lock, slice);
        else
            Futex.Wait(FutexWord, (int)seen, slice);
    }

    /// <summary>Wake at least every 100 ms to notice cancellation without registering a callback.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TimeSpan Slice(TimeSpan remaining, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled && (remaining == Timeout.InfiniteTimeSpan || remaining > TimeSpan.FromMilliseconds(100))
            ? TimeSpan.FromMilliseconds(100)
            : remaining;

    /// <summary>Completes when the version differs from <paramref name="seen"/>.</summary>
    public async ValueTask WaitAsync(long seen, CancellationToken cancellationToken)
    {
        if (SpinUntilChanged(seen))
            return;
        Task task;
        lock (_lock)
        {
            if (ReadVersion() != seen)
                return;
            _asyncWaiters ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            task = _asyncWaiters.Task;
            Interlocked.Increment(ref _waiters);
            // Re-check after registering: a Set between the first check and the increment saw no waiter.
            if (ReadVersion() != seen)
            {
                Interlocked.Decrement(ref _waiters);
                return;
            }
        }
        try
        {
            await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }
}

/// <summary>A point in time to give up at, or never.</summary>
internal readonly struct Deadline
{
    private readonly long _endTicks; // Environment.TickCount64 milliseconds; long.MaxValue means never

    private Deadline(long endTicks) => _endTicks = endTicks;

    public static Deadline Never => new(long.MaxValue);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Deadline After(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? Never : new Deadline(Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds));

    public bool IsNever
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _endTicks == long.MaxValue;
    }

    /// <summary>Time left: <see cref="Timeout.InfiniteTimeSpan"/> for never, zero once passed.</summary>
    public TimeSpan Remaining
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => IsNever ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, _endTicks - Environment.TickCount64));
    }
}
