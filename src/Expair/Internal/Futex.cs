using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Expair.Internal;

/// <summary>
/// Linux's futex: sleep while a word in memory holds a value, and wake the sleepers of a word. One system call on
/// each side, where .NET's <see cref="Monitor"/> wait goes through the runtime's own event layer and makes the woken
/// thread take the lock again. Used only on the Linux path (<see cref="IoPlatform.UsesLinuxCalls"/>); elsewhere
/// the callers wait with <see cref="Monitor"/>.
/// </summary>
internal static unsafe partial class Futex
{
    private const int FUTEX_WAIT = 0;
    private const int FUTEX_WAKE = 1;
    private const int FUTEX_PRIVATE_FLAG = 128; // the word is not shared with other processes
    private const int WaitPrivate = FUTEX_WAIT | FUTEX_PRIVATE_FLAG;
    private const int WakePrivate = FUTEX_WAKE | FUTEX_PRIVATE_FLAG;

    private const nint SYS_futex_x64 = 202; // arch/x86/entry/syscalls/syscall_64.tbl
    private const nint SYS_futex_arm64 = 98; // include/uapi/asm-generic/unistd.h

    /// <summary>The futex system call's number: it differs between architectures (-1: not on the Linux path).</summary>
    private static readonly nint SystemCall = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => SYS_futex_x64,
        Architecture.Arm64 => SYS_futex_arm64,
        _ => -1,
    };

    /// <summary>True on the Linux path (<see cref="IoPlatform.UsesLinuxCalls"/>): the futex may be used.</summary>
    public static bool IsSupported => IoPlatform.UsesLinuxCalls;

    /// <summary>
    /// Sleeps while <paramref name="word"/> holds <paramref name="expected"/>, at most <paramref name="timeout"/>
    /// (infinite for <see cref="Timeout.InfiniteTimeSpan"/>). May return early (a signal, a spurious wake-up):
    /// callers check their condition again.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public static void Wait(int* word, int expected, TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            Call(SystemCall, word, WaitPrivate, expected, null, 0, 0);
            return;
        }
        var ticks = timeout.Ticks;
        var relative = new TimeSpec(ticks / TimeSpan.TicksPerSecond, ticks % TimeSpan.TicksPerSecond * 100);
        Call(SystemCall, word, WaitPrivate, expected, &relative, 0, 0);
    }

    /// <summary>Wakes every thread sleeping on <paramref name="word"/>.</summary>
    [MethodImpl(HotPath.Optimized)]
    public static void WakeAll(int* word) => Call(SystemCall, word, WakePrivate, int.MaxValue, null, 0, 0);

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct TimeSpec(long seconds, long nanoseconds)
    {
        public readonly long Seconds = seconds;
        public readonly long Nanoseconds = nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial nint Call(nint number, int* word, int operation, int value, TimeSpec* timeout, nint word2, int value3);
}
