using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Expair.Cli.Bench;

/// <summary>
/// How a benchmark sender writes every payload byte. <see cref="Span{T}.Fill"/> goes through a CoreLib loop that
/// starts unoptimized and is replaced mid-run by the tiered JIT: in a run of a few hundred milliseconds the 1 MiB
/// inproc sender sometimes filled at half speed for the whole run (18-20 k against 42-52 k msg/s, bimodal from run
/// to run; with tiering off every run was fast). This loop is compiled fully optimized on its first call, so every
/// run and every implementation writes its payload at the same speed.
/// </summary>
internal static class PayloadWriter
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Fill(Span<byte> payload, byte value)
    {
        ref var start = ref MemoryMarshal.GetReference(payload);
        var length = (nuint)payload.Length;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<byte>.Count)
        {
            var block = Vector256.Create(value);
            for (; i + (nuint)Vector256<byte>.Count <= length; i += (nuint)Vector256<byte>.Count)
                block.StoreUnsafe(ref start, i);
            // The tail as one last (overlapping) block.
            block.StoreUnsafe(ref start, length - (nuint)Vector256<byte>.Count);
            return;
        }
        for (; i < length; i++)
            Unsafe.Add(ref start, i) = value;
    }
}
