using System.Buffers;
using System.Runtime.CompilerServices;

namespace Expair.Internal;

/// <summary>
/// Where frame buffers come from. A queue holds up to its high-water mark of messages in flight (default 1000 each
/// way), far more than <see cref="ArrayPool{T}.Shared"/> keeps per size, so with the shared pool a full queue
/// turned most rentals into fresh allocations and most returns into garbage. These pools keep enough buffers per
/// size for a default queue; what each retains at most is stated beside it.
/// </summary>
internal static class FramePool
{
    /// <summary>Frames up to this size come from <see cref="Tiny"/>.</summary>
    public const int TinyLimit = 1024;

    /// <summary>Frames up to this size come from <see cref="Small"/>.</summary>
    public const int SmallLimit = 64 * 1024;

    /// <summary>
    /// Frames up to this size come from <see cref="Large"/>; beyond it they are allocated and left to the GC (moving
    /// 64 MiB costs far more than allocating it).
    /// </summary>
    public const int LargeLimit = 64 * 1024 * 1024;

    /// <summary>
    /// Frames of at least this many bytes are rented with <see cref="Headroom"/> free bytes before their body: the
    /// size from which the encoder sends a body from its own array instead of copying it.
    /// </summary>
    public const int HeadroomFrom = 8 * 1024;

    /// <summary>
    /// Free bytes before the body of a frame rented at <see cref="HeadroomFrom"/> or more: CURVE writes the flags byte
    /// there and seals flags and body together without moving the body. A cache line, so the body keeps the
    /// alignment it would have at the array's start; the pools' buffers have this much slack, so it costs no bucket.
    /// </summary>
    public const int Headroom = 64;

    // 4096 buffers per size: both default queues of a connection full (1000 + 1000), the other socket of an
    // in-process pair, and the batches in the engines, so a steady stream recycles instead of allocating.
    // Retains at most 4096 x 2 KiB over all sizes together, about 8 MiB, and at 64 B only 256 KiB.
    private static readonly ArrayPool<byte> Tiny = ArrayPool<byte>.Create(TinyLimit, 4096);

    /// <summary>
    /// Frames above 1 KiB up to 64 KiB, in power-of-two buckets: as many as traffic needs, given back to the GC once
    /// unused for 8-10 s (five trims 2 s apart), down to 512 KiB per bucket, so at rest at most 3 MiB over the six
    /// sizes. Power-of-two steps: finer ones cost in-process throughput at these sizes (docs/design-decisions.md).
    /// </summary>
    private static readonly BufferPool Small = new(TinyLimit, SmallLimit, stepsPerOctave: 1, keepBytes: 512 * 1024, trimInterval: TimeSpan.FromSeconds(2), trimWindow: 5, slack: Headroom);

    /// <summary>
    /// Large buffers, in buckets a quarter of a power of two apart (a buffer is at most 25 % longer than its frame):
    /// as many as traffic needs (a sender ahead of its socket holds a high-water mark of them), given back to the GC
    /// once unused for 8-10 s, down to 2 MiB per bucket: at rest at most 2 MiB for each bucket up to 2 MiB that was
    /// used (40 MiB if all were), none of larger buffers. A fixed count per size would turn a large stream's
    /// rentals into fresh allocations and gen-2 collections.
    /// </summary>
    private static readonly BufferPool Large = new(SmallLimit, LargeLimit, stepsPerOctave: 4, keepBytes: 2 * 1024 * 1024, trimInterval: TimeSpan.FromSeconds(2), trimWindow: 5, slack: Headroom);

    [MethodImpl(HotPath.Optimized)]
    public static byte[] Rent(int length) => length <= TinyLimit ? Tiny.Rent(length) : length <= SmallLimit + Headroom ? Small.Rent(length) : Large.Rent(length);

    [MethodImpl(HotPath.Optimized)]
    public static void Return(byte[] array)
    {
        if (array.Length <= TinyLimit)
            Tiny.Return(array);
        else if (array.Length <= SmallLimit + Headroom)
            Small.Return(array);
        else
            Large.Return(array);
    }
}
