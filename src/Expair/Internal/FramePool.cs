using System.Buffers;

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

    // 4096 buffers per size: both default queues of a connection full (1000 + 1000), the other socket of an
    // in-process pair, and the batches in the engines, so a steady stream recycles instead of allocating.
    // Retains at most 4096 x 2 KiB over all sizes together, about 8 MiB, and at 64 B only 256 KiB.
    private static readonly ArrayPool<byte> Tiny = ArrayPool<byte>.Create(TinyLimit, 4096);

    // 2048 per size up to 64 KiB: one socket's two default queues.
    private static readonly ArrayPool<byte> Small = ArrayPool<byte>.Create(SmallLimit, 2048);

    /// <summary>
    /// Large buffers: as many as traffic needs (a sender ahead of its socket holds a high-water mark of them), given
    /// back to the GC once unused for 8-10 s (five trims 2 s apart), down to 2 MiB per bucket (buckets a quarter of
    /// a power of two apart, so a buffer is at most 25 % longer than its frame): at rest at most 2 MiB for each
    /// bucket up to 2 MiB that was used (40 MiB if all were), none of larger buffers. A fixed 16 per size made a
    /// 1 MiB sender allocate a fresh buffer for one message in fifty to two hundred in steady state (150-450 MB per
    /// 1,000-8,000 messages, with gen-2 collections).
    /// </summary>
    private static readonly LargeBufferPool Large = new(SmallLimit, LargeLimit, keepBytes: 2 * 1024 * 1024, trimInterval: TimeSpan.FromSeconds(2), trimWindow: 5);

    public static byte[] Rent(int length) => length > SmallLimit ? Large.Rent(length) : PoolFor(length).Rent(length);

    public static void Return(byte[] array)
    {
        if (array.Length > SmallLimit)
            Large.Return(array);
        else
            PoolFor(array.Length).Return(array);
    }

    private static ArrayPool<byte> PoolFor(int length) => length <= TinyLimit ? Tiny : Small;
}
