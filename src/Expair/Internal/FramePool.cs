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

    /// <summary>Frames up to this size come from <see cref="Large"/>; beyond it, from the shared pool.</summary>
    public const int LargeLimit = 4 * 1024 * 1024;

    // 4096 buffers per size: both default queues of a connection full (1000 + 1000), the other socket of an
    // in-process pair, and the batches in the engines, so a steady stream recycles instead of allocating.
    // Retains at most 4096 x 2 KiB over all sizes together, about 8 MiB, and at 64 B only 256 KiB.
    private static readonly ArrayPool<byte> Tiny = ArrayPool<byte>.Create(TinyLimit, 4096);

    // 2048 per size up to 64 KiB: one socket's two default queues.
    private static readonly ArrayPool<byte> Small = ArrayPool<byte>.Create(SmallLimit, 2048);

    // Large buffers: 16 per size, at most 64 MiB retained at 4 MiB.
    private static readonly ArrayPool<byte> Large = ArrayPool<byte>.Create(LargeLimit, 16);

    public static byte[] Rent(int length) => PoolFor(length).Rent(length);

    public static void Return(byte[] array) => PoolFor(array.Length).Return(array);

    private static ArrayPool<byte> PoolFor(int length) =>
        length <= TinyLimit ? Tiny : length <= SmallLimit ? Small : length <= LargeLimit ? Large : ArrayPool<byte>.Shared;
}
