using System.Runtime.CompilerServices;

namespace Expair.Internal;

/// <summary>
/// How the per-message path is compiled: <c>[MethodImpl(HotPath.Optimized)]</c> compiles a method fully optimised at
/// its first call. Tiered compilation would run it unoptimised first and recompile it only after the program stops
/// compiling new methods for a while, so a short-lived program would move much of its traffic through slow code
/// (docs/design-decisions.md, "The per-message path is optimised from its first call"). The price: these methods are
/// not recompiled with the profile of the running program. A small helper they call that the JIT would not inline on
/// its own is marked <c>AggressiveInlining</c>, or it would still run unoptimised.
/// </summary>
internal static class HotPath
{
    public const MethodImplOptions Optimized = MethodImplOptions.AggressiveOptimization;
}
